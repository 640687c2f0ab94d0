//! Users and sessions in PostgreSQL.

use super::PgStorage;
use crate::storage::{Principal, StorageError, User, UserStore};
use postgres::Row;

const USER_COLUMNS: &str = "id, username, email, role, created_at";

fn user(r: &Row) -> User {
    User {
        id: r.get(0),
        username: r.get(1),
        email: r.get(2),
        role: r.get(3),
        created_at: r.get(4),
    }
}

impl UserStore for PgStorage {
    fn insert_user(&self, u: &User, hash: &str) -> Result<(), StorageError> {
        let inserted = self.write(|tx| {
            tx.execute(
                "INSERT INTO users (id, username, email, password_hash, role, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING",
                &[&u.id, &u.username, &u.email, &hash, &u.role, &u.created_at],
            )
        })?;
        match inserted {
            0 => Err(StorageError::Taken(format!(
                "the username `{}`",
                u.username
            ))),
            _ => Ok(()),
        }
    }

    fn admin_exists(&self) -> Result<bool, StorageError> {
        self.connection()?
            .query_one(
                "SELECT EXISTS(SELECT 1 FROM users WHERE role = 'admin')",
                &[],
            )
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>, StorageError> {
        self.connection()?
            .query_opt(
                &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1"),
                &[&username],
            )
            .map(|r| r.map(|r| (user(&r), r.get(5))))
            .map_err(|e| self.err(e))
    }

    fn user_by_id(&self, id: &str) -> Result<Option<User>, StorageError> {
        self.connection()?
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
                &[&id],
            )
            .map(|r| r.map(|r| user(&r)))
            .map_err(|e| self.err(e))
    }

    fn insert_session(
        &self,
        token_hash: &str,
        user_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[&token_hash, &user_id, &now, &expires_at],
            )
        })
        .map(|_| ())
    }

    fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<Principal>, StorageError> {
        self.connection()?
            .query_opt(
                "SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
                &[&token_hash, &now],
            )
            .map(|r| {
                r.map(|r| Principal {
                    id: r.get(0),
                    username: r.get(1),
                    role: r.get(2),
                })
            })
            .map_err(|e| self.err(e))
    }

    fn delete_session(&self, token_hash: &str) -> Result<(), StorageError> {
        self.write(|tx| tx.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash]))
            .map(|_| ())
    }
}
