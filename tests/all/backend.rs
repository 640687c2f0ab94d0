//! The two storage backends the end-to-end tests run on: SQLite in the data
//! directory (the default) and PostgreSQL. The PostgreSQL side is one real
//! cluster per test run ([`PgCluster`], started on first use and stopped when
//! the test binary exits), with a fresh database per test, so tests on it stay
//! as independent as their SQLite twins.
//!
//! A test written once as `fn name(backend: Backend)` becomes two tests,
//! `on_sqlite::name` and `on_postgres::name`, through [`on_both_backends!`].

use crate::pg_support::PgCluster;
use std::path::Path;
use std::sync::OnceLock;

/// Where a test server keeps its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in the data directory (no database URL).
    Sqlite,
    /// A fresh database on the run's PostgreSQL cluster.
    Postgres,
}

/// One test's database: none for SQLite, a new PostgreSQL database otherwise.
/// Several servers (nodes, restarts) given the same `TestDb` share its data.
#[derive(Clone, Debug)]
pub struct TestDb {
    /// The PostgreSQL URL (as the cluster's superuser), when on PostgreSQL.
    pub url: Option<String>,
}

static CLUSTER: OnceLock<PgCluster> = OnceLock::new();

unsafe extern "C" {
    fn atexit(f: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn stop_cluster() {
    if let Some(c) = CLUSTER.get() {
        c.stop();
    }
}

/// The run's PostgreSQL cluster, started on first use.
fn cluster() -> &'static PgCluster {
    CLUSTER.get_or_init(|| {
        let c = PgCluster::start();
        // Statics are never dropped: stop it when the test binary exits.
        // SAFETY: registers a plain function with the C library.
        unsafe { atexit(stop_cluster) };
        c
    })
}

impl Backend {
    /// A fresh database on this backend.
    pub fn database(self) -> TestDb {
        TestDb {
            url: match self {
                Backend::Sqlite => None,
                Backend::Postgres => Some(cluster().database()),
            },
        }
    }
}

impl TestDb {
    /// The environment that points `raisfast serve` at this database.
    pub fn env(&self) -> Vec<(&'static str, &str)> {
        match &self.url {
            Some(url) => vec![("RAISFAST_DATABASE_URL", url.as_str())],
            None => Vec::new(),
        }
    }

    /// Sets `settings` to use this database.
    pub fn apply(&self, settings: &mut raisfast::settings::Settings) {
        settings.database.url = self.url.clone();
    }

    /// Runs `sql` (several statements) as the server would, for setting up a
    /// test: on SQLite in `data_dir`'s database, on PostgreSQL in `public`.
    pub fn batch(&self, data_dir: &Path, sql: &str) {
        match &self.url {
            Some(url) => postgres::Client::connect(url, postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
            None => raisfast::storage::SqliteStorage::open(&data_dir.join("raisfast.db"))
                .unwrap()
                .connection()
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
        }
    }

    /// The first column of the first row of `sql`, an integer.
    pub fn count(&self, data_dir: &Path, sql: &str) -> i64 {
        match &self.url {
            Some(url) => postgres::Client::connect(url, postgres::NoTls)
                .unwrap()
                .query_one(sql, &[])
                .unwrap()
                .get(0),
            None => raisfast::storage::SqliteStorage::open(&data_dir.join("raisfast.db"))
                .unwrap()
                .connection()
                .unwrap()
                .query_row(sql, [], |r| r.get(0))
                .unwrap(),
        }
    }

    /// The first column of the first row of `sql`, a text, if there is a row.
    pub fn text(&self, data_dir: &Path, sql: &str) -> Option<String> {
        match &self.url {
            Some(url) => postgres::Client::connect(url, postgres::NoTls)
                .unwrap()
                .query_opt(sql, &[])
                .unwrap()
                .map(|r| r.get(0)),
            None => raisfast::storage::SqliteStorage::open(&data_dir.join("raisfast.db"))
                .unwrap()
                .connection()
                .unwrap()
                .query_row(sql, [], |r| r.get(0))
                .ok(),
        }
    }

    /// The schema a plugin's own tables are in, as SQL names them: none on
    /// SQLite (one namespace), the plugin's role on PostgreSQL.
    pub fn plugin_schema(&self, plugin_id: &str) -> Option<String> {
        let url = self.url.as_ref()?;
        let row = postgres::Client::connect(url, postgres::NoTls)
            .unwrap()
            .query_one(
                "SELECT role FROM raisfast_plugin_roles WHERE plugin_id = $1",
                &[&plugin_id],
            )
            .unwrap();
        Some(row.get(0))
    }
}

/// Makes each `fn name(backend: Backend)` listed two tests:
/// `on_sqlite::name` and `on_postgres::name`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::backend::Backend::Sqlite)
                }
            )*
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::backend::Backend::Postgres)
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;
