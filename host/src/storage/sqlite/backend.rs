//! [`Storage`] on SQLite: each method hands over to the module of its topic.

use super::{SqliteStorage, comments, content, cron_runs, plugin_sql, users};
use crate::storage::{
    Comment, Content, ContentFilter, CronClaim, CronRun, MigrationError, PluginAccess,
    PluginSession, Principal, SqlError, Storage, StorageError, StoredState, User,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

impl Storage for SqliteStorage {
    fn location(&self) -> String {
        self.path().display().to_string()
    }

    fn insert_user(&self, user: &User, password_hash: &str) -> Result<(), StorageError> {
        users::insert(self, user, password_hash)
    }

    fn admin_exists(&self) -> Result<bool, StorageError> {
        users::admin_exists(self)
    }

    fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>, StorageError> {
        users::by_name(self, username)
    }

    fn user_by_id(&self, id: &str) -> Result<Option<User>, StorageError> {
        users::by_id(self, id)
    }

    fn insert_session(
        &self,
        token_hash: &str,
        user_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        users::insert_session(self, token_hash, user_id, now, expires_at)
    }

    fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<Principal>, StorageError> {
        users::session_user(self, token_hash, now)
    }

    fn delete_session(&self, token_hash: &str) -> Result<(), StorageError> {
        users::delete_session(self, token_hash)
    }

    fn content(&self, id_or_slug: &str) -> Result<Option<Content>, StorageError> {
        content::get(self, id_or_slug)
    }

    fn slug_taken(&self, slug: &str, except: Option<&str>) -> Result<bool, StorageError> {
        content::slug_taken(self, slug, except)
    }

    fn save_content(&self, c: &Content, insert: bool) -> Result<(), StorageError> {
        content::save(self, c, insert)
    }

    fn list_content(&self, f: &ContentFilter) -> Result<(u64, Vec<Content>), StorageError> {
        content::list(self, f)
    }

    fn delete_content(&self, id: &str) -> Result<(), StorageError> {
        content::delete(self, id)
    }

    fn comments(&self, content_id: &str) -> Result<Vec<Comment>, StorageError> {
        comments::on(self, content_id)
    }

    fn comment(&self, id: &str) -> Result<Option<Comment>, StorageError> {
        comments::by_id(self, id)
    }

    fn insert_comment(&self, c: &Comment) -> Result<(), StorageError> {
        comments::insert(self, c)
    }

    fn delete_comment(&self, id: &str) -> Result<(), StorageError> {
        comments::delete(self, id)
    }

    fn plugin_state(&self, plugin_id: &str) -> Result<StoredState, StorageError> {
        SqliteStorage::plugin_state(self, plugin_id)
    }

    fn set_plugin_state(&self, plugin_id: &str, s: &StoredState) -> Result<(), StorageError> {
        SqliteStorage::set_plugin_state(self, plugin_id, s)
    }

    fn purge_plugin(&self, plugin_id: &str) -> Result<(), StorageError> {
        SqliteStorage::purge_plugin(self, plugin_id)
    }

    fn install_dir(&self, plugin_id: &str) -> Result<Option<PathBuf>, StorageError> {
        SqliteStorage::install_dir(self, plugin_id)
    }

    fn bind_install(&self, plugin_id: &str, dir: &Path) -> Result<(), StorageError> {
        SqliteStorage::bind_install(self, plugin_id, dir)
    }

    fn release_install(&self, plugin_id: &str) -> Result<(), StorageError> {
        SqliteStorage::release_install(self, plugin_id)
    }

    fn claim_prefix(&self, prefix: &str, plugin_id: &str) -> Result<(), StorageError> {
        SqliteStorage::claim_prefix(self, prefix, plugin_id)
    }

    fn table_owner(&self, table: &str) -> Option<String> {
        SqliteStorage::table_owner(self, table)
    }

    fn plugin_session(
        self: Arc<Self>,
        access: Arc<PluginAccess>,
        deadline: Instant,
        preempted: Arc<AtomicBool>,
    ) -> Result<Box<dyn PluginSession>, SqlError> {
        let c = plugin_sql::CallConnection::open(self, access, deadline, preempted)?;
        Ok(Box::new(c))
    }

    fn migrate_plugin(
        self: Arc<Self>,
        access: Arc<PluginAccess>,
        files: Vec<(String, String)>,
        deadline: Instant,
    ) -> Result<Vec<String>, MigrationError> {
        plugin_sql::migrate(self, access, files, deadline)
    }

    fn recent_runs(&self, plugin: &str, limit: u32) -> Result<Vec<CronRun>, StorageError> {
        cron_runs::recent_runs(self, plugin, limit)
    }

    fn last_tick(&self, plugin: &str, job: &str) -> Option<i64> {
        cron_runs::last_tick(self, plugin, job)
    }

    fn claim_tick(&self, plugin: &str, job: &str, at: i64, node: &str, outcome: &str) -> CronClaim {
        cron_runs::claim_tick(self, plugin, job, at, node, outcome)
    }

    fn finish_tick(
        &self,
        plugin: &str,
        job: &str,
        at: i64,
        elapsed_ms: i64,
        outcome: &str,
        error: Option<&str>,
    ) {
        cron_runs::finish_tick(self, plugin, job, at, elapsed_ms, outcome, error);
    }
}
