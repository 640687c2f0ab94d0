//! Users and sessions: registration, login with argon2 password hashes, bearer
//! session tokens (random, stored hashed), logout, and the administrator
//! created on first start.

use super::{Cms, CmsError, CmsResult, new_id};
use crate::store::now_ms;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use poem_openapi::Object;
use rusqlite::OptionalExtension;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A user as the API and hooks show it (never the password hash).
#[derive(Debug, Clone, Serialize, Object)]
#[oai(rename_all = "snake_case")]
pub struct User {
    /// Its id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Email address, if given.
    pub email: Option<String>,
    /// `admin` or `user`.
    pub role: String,
    /// Creation time, ms since the Unix epoch.
    pub created_at: i64,
}

/// Who is calling: the signed-in user.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Object)]
pub struct Principal {
    /// The user's id.
    pub id: String,
    /// The user's name.
    pub username: String,
    /// `admin` or `user`.
    pub role: String,
}

impl Principal {
    /// Whether the user is an administrator.
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

fn hash_password(password: &str) -> CmsResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("system randomness");
    let salt =
        SaltString::encode_b64(&bytes).map_err(|e| CmsError::Invalid(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CmsError::Invalid(format!("cannot hash the password: {e}")))
}

/// Longest password accepted, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest email address accepted, in bytes.
pub const MAX_EMAIL_BYTES: usize = 254;

/// A hash no password matches, checked when the username is unknown so that
/// a login costs the same whether or not the user exists.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    hash_password(&random_secret()).expect("hashing a random password")
});

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A random password or token: 32 bytes as hex.
pub(crate) fn random_secret() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("system randomness");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn check_username(u: &str) -> CmsResult<()> {
    let ok = (3..=32).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(CmsError::Invalid(
            "username: 3 to 32 characters of letters, digits, `_`, `.`, `-`".into(),
        ))
    }
}

fn row_to_user(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        email: r.get(2)?,
        role: r.get(3)?,
        created_at: r.get(4)?,
    })
}

const USER_COLUMNS: &str = "id, username, email, role, created_at";

impl Cms {
    fn insert_user(
        &self,
        username: &str,
        password: &str,
        email: Option<&str>,
        role: &str,
    ) -> CmsResult<User> {
        check_username(username)?;
        if password.chars().count() < 8 || password.len() > MAX_PASSWORD_BYTES {
            return Err(CmsError::Invalid(format!(
                "password: at least 8 characters, at most {MAX_PASSWORD_BYTES} bytes"
            )));
        }
        if email.is_some_and(|e| e.len() > MAX_EMAIL_BYTES) {
            return Err(CmsError::Invalid(format!(
                "email: at most {MAX_EMAIL_BYTES} bytes"
            )));
        }
        let hash = hash_password(password)?;
        let user = User {
            id: new_id(),
            username: username.to_string(),
            email: email.map(str::to_string),
            role: role.to_string(),
            created_at: now_ms(),
        };
        let inserted = self.write(
            |conn| {
                conn.execute(
                    "INSERT INTO users (id, username, email, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(username) DO NOTHING",
                    rusqlite::params![user.id, user.username, user.email, hash, user.role, user.created_at],
                )
            },
            |e| self.sql(e),
        );
        match inserted? {
            0 => Err(CmsError::Conflict(format!(
                "the username `{username}` is taken"
            ))),
            _ => Ok(user),
        }
    }

    /// Creates the administrator on first start; returns the generated password
    /// when none was configured.
    pub fn ensure_admin(&self) -> CmsResult<Option<(String, String)>> {
        let conn = self.db.connection()?;
        let any: bool = conn
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM users WHERE role = 'admin')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        drop(conn);
        if any {
            return Ok(None);
        }
        let s = &self.settings.server;
        let (password, generated) = match &s.admin_password {
            Some(p) => (p.clone(), false),
            None => (random_secret()[..24].to_string(), true),
        };
        self.insert_user(&s.admin_username, &password, None, "admin")?;
        Ok(generated.then(|| (s.admin_username.clone(), password)))
    }

    /// Creates a `user` account; fires `on_user_registered`.
    pub fn register(&self, username: &str, password: &str, email: Option<&str>) -> CmsResult<User> {
        if !self.settings.server.registration {
            return Err(CmsError::Forbidden(
                "registration is closed on this server".into(),
            ));
        }
        let user = self.insert_user(username, password, email, "user")?;
        let body = serde_json::to_value(&user).unwrap_or_default();
        self.action(self.envelope("on_user_registered", Some(&user.id), None, body, None));
        Ok(user)
    }

    /// Checks the password and opens a session; fires `on_user_login`.
    pub fn login(&self, username: &str, password: &str) -> CmsResult<(String, User)> {
        if password.len() > MAX_PASSWORD_BYTES || username.len() > 64 {
            return Err(CmsError::BadCredentials);
        }
        let conn = self.db.connection()?;
        let found: Option<(User, String)> = conn
            .query_row(
                &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?1"),
                [username],
                |r| Ok((row_to_user(r)?, r.get(5)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        // The same work whether or not the user exists: no timing tells.
        let Some((user, hash)) = (match found {
            Some((user, hash)) => verify_password(password, &hash).then_some((user, hash)),
            None => {
                verify_password(password, &DUMMY_HASH);
                None
            }
        }) else {
            return Err(CmsError::BadCredentials);
        };
        drop(hash);
        let token = random_secret();
        let now = now_ms();
        let expires = now + self.settings.server.session_hours as i64 * 3_600_000;
        drop(conn);
        self.write(
            |conn| {
                conn.execute(
                    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![token_hash(&token), user.id, now, expires],
                )
            },
            |e| self.sql(e),
        )?;
        let principal = Principal {
            id: user.id.clone(),
            username: user.username.clone(),
            role: user.role.clone(),
        };
        let body = serde_json::to_value(&user).unwrap_or_default();
        self.action(self.envelope(
            "on_user_login",
            Some(&user.id),
            None,
            body,
            Some(&principal),
        ));
        Ok((token, user))
    }

    /// The user a session token belongs to.
    pub fn authenticate(&self, token: &str) -> CmsResult<Principal> {
        let conn = self.db.connection()?;
        conn.query_row(
            "SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            rusqlite::params![token_hash(token), now_ms()],
            |r| {
                Ok(Principal {
                    id: r.get(0)?,
                    username: r.get(1)?,
                    role: r.get(2)?,
                })
            },
        )
        .optional()
        .map_err(|e| self.sql(e))?
        .ok_or(CmsError::Unauthorized)
    }

    /// Closes the session; fires `on_user_logout`.
    pub fn logout(&self, token: &str) -> CmsResult<()> {
        let principal = self.authenticate(token)?;
        self.write(
            |conn| {
                conn.execute(
                    "DELETE FROM sessions WHERE token_hash = ?1",
                    [token_hash(token)],
                )
            },
            |e| self.sql(e),
        )?;
        let user = self.user(&principal.id)?;
        let body = serde_json::to_value(&user).unwrap_or_default();
        self.action(self.envelope(
            "on_user_logout",
            Some(&user.id),
            None,
            body,
            Some(&principal),
        ));
        Ok(())
    }

    /// A user by id.
    pub fn user(&self, id: &str) -> CmsResult<User> {
        let conn = self.db.connection()?;
        conn.query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [id],
            row_to_user,
        )
        .optional()
        .map_err(|e| self.sql(e))?
        .ok_or_else(|| CmsError::NotFound(format!("user {id}")))
    }
}
