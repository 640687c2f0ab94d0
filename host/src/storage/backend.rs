//! [`Storage`]: what the server keeps, as one interface a backend implements,
//! made of one trait per topic so that each backend module implements its
//! topic in one place: [`UserStore`], [`ContentStore`], [`CommentStore`],
//! [`PluginStore`], [`PluginSql`], [`CronStore`].

use super::StorageError;
use super::records::{Comment, Content, ContentFilter, CronRun, Principal, StoredState, User};
use super::session::{Dialect, MigrationError, PluginAccess, PluginSession, SqlError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// How a claim of a cron tick went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronClaim {
    /// This node has the tick: it runs the job.
    Claimed,
    /// Another node (or an earlier start) has it.
    Taken,
    /// The job's previous run is still going (on any node): the tick is
    /// recorded as `skipped`.
    Overlap,
}

/// Everything the server keeps. Implemented by each backend; the server
/// holds an `Arc<dyn Storage>`.
pub trait Storage:
    UserStore
    + ContentStore
    + CommentStore
    + PluginStore
    + PluginSql
    + CronStore
    + ChangeFeed
    + Send
    + Sync
{
    /// Where the data is, for messages (a file path, a URL without password).
    fn location(&self) -> String;
    /// The plugins' files, when this backend keeps them (so that nodes share
    /// them); `None`: each node keeps them on its disk.
    fn files(&self) -> Option<&dyn super::FileStore>;
}

/// Users and their sessions.
pub trait UserStore {
    /// Inserts a user with a password hash; [`StorageError::Taken`] when the
    /// username is taken.
    fn insert_user(&self, user: &User, password_hash: &str) -> Result<(), StorageError>;
    /// Whether an administrator exists.
    fn admin_exists(&self) -> Result<bool, StorageError>;
    /// A user and their password hash, by username.
    fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>, StorageError>;
    /// A user by id.
    fn user_by_id(&self, id: &str) -> Result<Option<User>, StorageError>;
    /// Opens a session under a token hash until `expires_at` (ms).
    fn insert_session(
        &self,
        token_hash: &str,
        user_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError>;
    /// The user of an unexpired session.
    fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<Principal>, StorageError>;
    /// Closes a session.
    fn delete_session(&self, token_hash: &str) -> Result<(), StorageError>;
}

/// Content items.
pub trait ContentStore {
    /// An item by id or slug.
    fn content(&self, id_or_slug: &str) -> Result<Option<Content>, StorageError>;
    /// Whether `slug` belongs to an item other than `except`.
    fn slug_taken(&self, slug: &str, except: Option<&str>) -> Result<bool, StorageError>;
    /// Inserts or replaces an item; [`StorageError::Taken`] when its slug is taken.
    fn save_content(&self, c: &Content, insert: bool) -> Result<(), StorageError>;
    /// The total of matching items and one page of them, newest first.
    fn list_content(&self, f: &ContentFilter) -> Result<(u64, Vec<Content>), StorageError>;
    /// Deletes an item (its comments go with it).
    fn delete_content(&self, id: &str) -> Result<(), StorageError>;
}

/// Comments on content.
pub trait CommentStore {
    /// Comments on an item, oldest first.
    fn comments(&self, content_id: &str) -> Result<Vec<Comment>, StorageError>;
    /// A comment by id.
    fn comment(&self, id: &str) -> Result<Option<Comment>, StorageError>;
    /// Inserts a comment.
    fn insert_comment(&self, c: &Comment) -> Result<(), StorageError>;
    /// Deletes a comment.
    fn delete_comment(&self, id: &str) -> Result<(), StorageError>;
}

/// What the server keeps about plugins: state, installs, table prefixes.
pub trait PluginStore {
    /// The stored state of a plugin (all off when never set).
    fn plugin_state(&self, plugin_id: &str) -> Result<StoredState, StorageError>;
    /// Records the state of a plugin.
    fn set_plugin_state(&self, plugin_id: &str, s: &StoredState) -> Result<(), StorageError>;
    /// Deletes everything a plugin keeps: its tables, KV, migrations record,
    /// prefixes, cron runs and state.
    fn purge_plugin(&self, plugin_id: &str) -> Result<(), StorageError>;
    /// The directory `plugin_id` is installed from, if it is.
    fn install_dir(&self, plugin_id: &str) -> Result<Option<PathBuf>, StorageError>;
    /// Binds `plugin_id` to `dir` (the first directory to declare it).
    fn bind_install(&self, plugin_id: &str, dir: &Path) -> Result<(), StorageError>;
    /// Releases the id (on uninstall).
    fn release_install(&self, plugin_id: &str) -> Result<(), StorageError>;
    /// Records that `plugin_id` owns tables starting with `prefix`; fails when
    /// another plugin owns it or an overlapping prefix.
    fn claim_prefix(&self, prefix: &str, plugin_id: &str) -> Result<(), StorageError>;
    /// The plugin that owns `table` by its prefix, if any.
    fn table_owner(&self, table: &str) -> Option<String>;
}

/// Plugins' own SQL and KV: the sessions of their calls and their migrations.
pub trait PluginSql {
    /// The dialect plugins' SQL is run in.
    fn dialect(&self) -> Dialect;
    /// Opens the SQL and KV session of one plugin call that must end at
    /// `deadline`; `preempted` is raised if the core takes a write turn back.
    fn plugin_session(
        self: Arc<Self>,
        access: Arc<PluginAccess>,
        deadline: Instant,
        preempted: Arc<AtomicBool>,
    ) -> Result<Box<dyn PluginSession>, SqlError>;
    /// Applies the plugin's migrations not applied yet, in order, under its
    /// grants; returns the names applied. `files` are `(name, sql)`.
    fn migrate_plugin(
        self: Arc<Self>,
        access: Arc<PluginAccess>,
        files: Vec<(String, String)>,
        deadline: Instant,
    ) -> Result<Vec<String>, MigrationError>;
}

/// Tells the other nodes on the same database that a plugin changed (an
/// operator enabled, disabled, reloaded or uninstalled it), and hears them.
/// A backend that only one node can use has nothing to say.
pub trait ChangeFeed {
    /// Announces that plugin `plugin_id` changed on node `node`.
    fn announce(&self, node: &str, plugin_id: &str);
    /// The announcements of every node, as `(node, plugin id)`, for as long
    /// as the receiver is kept; `None` when there are no other nodes.
    fn subscribe(&self) -> Option<std::sync::mpsc::Receiver<(String, String)>>;
}

/// The record of cron runs, which is also the lease of each tick.
pub trait CronStore {
    /// The latest runs of a plugin's jobs, newest first.
    fn recent_runs(&self, plugin: &str, limit: u32) -> Result<Vec<CronRun>, StorageError>;
    /// The latest tick recorded for a job.
    fn last_tick(&self, plugin: &str, job: &str) -> Option<i64>;
    /// Claims tick `at` of a job for `node`, its run holding a lease of
    /// `lease_ms` (the longest the run can last, with a margin). A run still
    /// `running` past its lease belonged to a node that died: it is recorded
    /// as failed, and no longer stops the job from running.
    fn claim_tick(&self, plugin: &str, job: &str, at: i64, node: &str, lease_ms: i64) -> CronClaim;
    /// Records how the run of tick `at` ended, and trims the job's history.
    fn finish_tick(
        &self,
        plugin: &str,
        job: &str,
        at: i64,
        elapsed_ms: i64,
        outcome: &str,
        error: Option<&str>,
    );
}
