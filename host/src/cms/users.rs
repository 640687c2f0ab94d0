//! Users and sessions: registration, login with argon2 password hashes, bearer
//! session tokens (random, stored hashed), logout, and the administrator
//! created on first start.

use super::{Cms, CmsError, CmsResult, new_id};
use crate::storage::now_ms;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

pub use crate::storage::{Principal, User};

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

/// Longest password accepted, in characters.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Longest email address accepted, in characters.
pub const MAX_EMAIL_CHARS: usize = 254;

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

impl Cms {
    fn insert_user(
        &self,
        username: &str,
        password: &str,
        email: Option<&str>,
        role: &str,
    ) -> CmsResult<User> {
        check_username(username)?;
        if password.chars().count() < 8 || password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(CmsError::Invalid(format!(
                "password: at least 8 characters, at most {MAX_PASSWORD_CHARS} characters"
            )));
        }
        if email.is_some_and(|e| e.chars().count() > MAX_EMAIL_CHARS) {
            return Err(CmsError::Invalid(format!(
                "email: at most {MAX_EMAIL_CHARS} characters"
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
        self.db.insert_user(&user, &hash)?;
        Ok(user)
    }

    /// Whether the database answers a query (for readiness), or why not.
    pub fn storage_answers(&self) -> Result<(), String> {
        self.db
            .admin_exists()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Creates the administrator on first start; returns the generated password
    /// when none was configured.
    pub fn ensure_admin(&self) -> CmsResult<Option<(String, String)>> {
        if self.db.admin_exists()? {
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
        if password.chars().count() > MAX_PASSWORD_CHARS || username.len() > 64 {
            return Err(CmsError::BadCredentials);
        }
        let found = self.db.user_by_name(username)?;
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
        self.db
            .insert_session(&token_hash(&token), &user.id, now, expires)?;
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
        self.db
            .session_user(&token_hash(token), now_ms())?
            .ok_or(CmsError::Unauthorized)
    }

    /// Closes the session; fires `on_user_logout`.
    pub fn logout(&self, token: &str) -> CmsResult<()> {
        let principal = self.authenticate(token)?;
        self.db.delete_session(&token_hash(token))?;
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
        self.db
            .user_by_id(id)?
            .ok_or_else(|| CmsError::NotFound(format!("user {id}")))
    }
}
