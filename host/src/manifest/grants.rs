//! Permission grants: parsed once from `[permissions]` at load, consulted by
//! every host call. Deny by default: what is not granted here is refused.

use crate::manifest::Manifest;
use std::collections::BTreeMap;

/// Server settings a plugin may be granted in `[permissions] config`.
pub const SERVER_SETTINGS: &[&str] = &["site.name", "site.url", "site.description"];

/// Core tables: never reachable by plugins, not even through `*`.
const PROTECTED_TABLES: &[&str] = &["users", "sessions"];
/// Prefixes of internal tables: never reachable by plugins.
const PROTECTED_PREFIXES: &[&str] = &["raisfast_", "sqlite_", "pragma_"];

/// Whether `table` is a core table that no grant can reach.
pub fn is_protected(table: &str) -> bool {
    let t = table.to_ascii_lowercase();
    PROTECTED_TABLES.contains(&t.as_str()) || PROTECTED_PREFIXES.iter().any(|p| t.starts_with(p))
}

/// The table-name prefix a plugin owns: the id's last segment with `-` read
/// as `_`, then `_` (`com.example.crm` owns `crm_*`).
pub fn table_prefix(plugin_id: &str) -> String {
    let last = plugin_id.rsplit('.').next().unwrap_or(plugin_id);
    format!("{}_", last.replace('-', "_"))
}

/// One `[permissions] database` entry: a table (or every table) and an access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbGrant {
    /// The table, lowercased; `None` for `*`.
    pub table: Option<String>,
    /// Reading is granted.
    pub read: bool,
    /// Writing (insert, update, delete) is granted.
    pub write: bool,
}

/// Parses `read:TABLE`, `write:TABLE`, `TABLE`, `*`, `read:*` or `write:*`.
pub fn parse_db_grant(s: &str) -> Result<DbGrant, String> {
    let (read, write, table) = match s.split_once(':') {
        Some(("read", t)) => (true, false, t),
        Some(("write", t)) => (false, true, t),
        Some((other, _)) => {
            return Err(format!(
                "unknown access `{other}` in database grant `{s}`; use `read:TABLE`, `write:TABLE`, `TABLE` or `*`"
            ));
        }
        None => (true, true, s),
    };
    if table == "*" {
        return Ok(DbGrant {
            table: None,
            read,
            write,
        });
    }
    let ident = !table.is_empty()
        && table.len() <= 128
        && !table.as_bytes()[0].is_ascii_digit()
        && table
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ident {
        return Err(format!(
            "database grant `{s}` must name a table (letters, digits, `_`) or `*`"
        ));
    }
    if is_protected(table) {
        return Err(format!(
            "table `{table}` is a core table: no plugin can be granted access to it"
        ));
    }
    Ok(DbGrant {
        table: Some(table.to_ascii_lowercase()),
        read,
        write,
    })
}

/// Reading or writing a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// SELECT and anything that reads.
    Read,
    /// INSERT, UPDATE, DELETE.
    Write,
}

impl Access {
    /// `read` or `write`, as written in a grant.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// Table grants of one plugin.
#[derive(Debug, Clone, Default)]
pub struct DbGrants {
    all_read: bool,
    all_write: bool,
    tables: BTreeMap<String, (bool, bool)>,
}

impl DbGrants {
    /// Whether `table` is explicitly named with that access.
    pub fn names(&self, table: &str, access: Access) -> bool {
        let t = table.to_ascii_lowercase();
        self.tables
            .get(&t)
            .is_some_and(|(r, w)| if access == Access::Read { *r } else { *w })
    }

    /// Whether `*` (or `read:*`, `write:*`) grants that access.
    pub fn wildcard(&self, access: Access) -> bool {
        match access {
            Access::Read => self.all_read,
            Access::Write => self.all_write,
        }
    }

    /// The tables named, with whether reading and writing are granted.
    pub fn tables(&self) -> impl Iterator<Item = (&str, bool, bool)> {
        self.tables.iter().map(|(t, (r, w))| (t.as_str(), *r, *w))
    }

    /// Whether any table at all is granted.
    pub fn is_empty(&self) -> bool {
        !self.all_read && !self.all_write && self.tables.is_empty()
    }
}

/// Everything a plugin is allowed, parsed from its manifest.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// Database tables.
    pub db: DbGrants,
    /// Outbound HTTP allow-list.
    pub http: Vec<HttpRule>,
    /// VFS reads.
    pub fs_read: bool,
    /// VFS writes.
    pub fs_write: bool,
    /// Server settings readable through `config.get`.
    pub server_settings: Vec<String>,
    /// Hooks with users' accounts (`on_user_*`) are delivered.
    pub users: bool,
    /// Hooks about unpublished content are delivered.
    pub drafts: bool,
}

/// The kinds of personal data a manifest may ask for (`[permissions] personal_data`).
pub const PERSONAL_DATA: &[&str] = &["users", "drafts"];

/// Personal data a hook's payload carries; delivered only to plugins granted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalData {
    /// A user account (username, email).
    Users,
    /// Content its author has not published.
    Drafts,
}

impl Grants {
    /// Whether the plugin may receive `data`.
    pub fn may_receive(&self, data: PersonalData) -> bool {
        match data {
            PersonalData::Users => self.users,
            PersonalData::Drafts => self.drafts,
        }
    }
}

impl Grants {
    /// Grants of a validated manifest (entries were checked at parse).
    pub fn from_manifest(m: &Manifest) -> Grants {
        let mut g = Grants::default();
        for entry in &m.permissions.database {
            let Ok(grant) = parse_db_grant(entry.get_ref()) else {
                continue;
            };
            match grant.table {
                None => {
                    g.db.all_read |= grant.read;
                    g.db.all_write |= grant.write;
                }
                Some(t) => {
                    let e = g.db.tables.entry(t).or_default();
                    e.0 |= grant.read;
                    e.1 |= grant.write;
                }
            }
        }
        g.http = m
            .permissions
            .http
            .iter()
            .filter_map(|r| HttpRule::parse(r.get_ref()).ok())
            .collect();
        for d in &m.permissions.personal_data {
            match d.get_ref().as_str() {
                "users" => g.users = true,
                "drafts" => g.drafts = true,
                _ => {}
            }
        }
        for f in &m.permissions.filesystem {
            match f.get_ref().as_str() {
                "read" => g.fs_read = true,
                "write" => g.fs_write = true,
                _ => {}
            }
        }
        g.server_settings = m
            .permissions
            .config
            .iter()
            .map(|s| s.get_ref().clone())
            .collect();
        g
    }
}

/// One HTTP allow-list entry: `scheme://host[:port][/path-prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRule {
    /// `http` or `https`.
    pub scheme: String,
    /// Lowercased host; for a wildcard, the domain after `*.`.
    pub host: String,
    /// `*.domain`: matches strict subdomains of `host`.
    pub wildcard: bool,
    /// The port (the scheme's default when not written).
    pub port: u16,
    /// Path prefix, starting with `/` (`/` when not written).
    pub path_prefix: String,
}

impl HttpRule {
    /// Parses an allow-list entry.
    pub fn parse(s: &str) -> Result<HttpRule, String> {
        let bad = |why: &str| {
            format!(
                "http grant `{s}`: {why}; expected `scheme://host[:port][/path-prefix]`, e.g. `https://api.example.com` or `https://*.example.com/v1`"
            )
        };
        let (scheme, rest) = s.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(bad("the scheme must be http or https")),
        };
        if rest.contains(['?', '#', '@', ' ', '\\']) {
            return Err(bad("no user, query or fragment allowed"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = split_host_port(authority).ok_or_else(|| bad("bad port"))?;
        let host = host.to_ascii_lowercase();
        let (wildcard, host) = match host.strip_prefix("*.") {
            Some(h) => (true, h.to_string()),
            None => (false, host),
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && (host.starts_with('[')
                || host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
        if !host_ok || host.contains('*') {
            return Err(bad("bad host"));
        }
        if path.contains("/../") || path.ends_with("/..") {
            return Err(bad("the path may not contain `..`"));
        }
        Ok(HttpRule {
            scheme,
            host,
            wildcard,
            port: port.unwrap_or(default_port),
            path_prefix: path.to_string(),
        })
    }

    /// Whether a request to these URL parts is allowed by this rule.
    pub fn allows(&self, scheme: &str, host: &str, port: u16, path: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let host = host.trim_end_matches('.');
        let host_ok = if self.wildcard {
            host.len() > self.host.len()
                && host.ends_with(&self.host)
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.'
        } else {
            host == self.host
        };
        let path_ok = path.starts_with(&self.path_prefix)
            && (self.path_prefix.ends_with('/')
                || path.len() == self.path_prefix.len()
                || matches!(path.as_bytes()[self.path_prefix.len()], b'/' | b'?'));
        scheme.eq_ignore_ascii_case(&self.scheme) && host_ok && port == self.port && path_ok
    }
}

/// Splits `host[:port]` (IPv6 literals in brackets); `None` for a bad port.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(end) = authority
        .strip_prefix('[')
        .and_then(|_| authority.find(']'))
    {
        let host = &authority[..=end];
        return match &authority[end + 1..] {
            "" => Some((host, None)),
            p => p.strip_prefix(':')?.parse().ok().map(|p| (host, Some(p))),
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => p.parse().ok().filter(|p| *p != 0).map(|p| (h, Some(p))),
        None => Some((authority, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_grants_parse() {
        assert_eq!(
            parse_db_grant("read:products").unwrap(),
            DbGrant {
                table: Some("products".into()),
                read: true,
                write: false
            }
        );
        assert!(parse_db_grant("*").unwrap().table.is_none());
        assert!(parse_db_grant("users").unwrap_err().contains("core table"));
        assert!(parse_db_grant("read:raisfast_kv").is_err());
        assert!(
            parse_db_grant("delete:x")
                .unwrap_err()
                .contains("unknown access")
        );
        assert!(parse_db_grant("read:a b").is_err());
    }

    #[test]
    fn http_rules_match() {
        let r = HttpRule::parse("https://api.example.com/v1").unwrap();
        assert!(r.allows("https", "api.example.com", 443, "/v1/items"));
        assert!(r.allows("https", "API.example.com.", 443, "/v1"));
        assert!(!r.allows("https", "api.example.com", 443, "/v10"));
        assert!(!r.allows("http", "api.example.com", 80, "/v1"));
        assert!(!r.allows("https", "api.example.com", 8443, "/v1"));
        let w = HttpRule::parse("https://*.example.com").unwrap();
        assert!(w.allows("https", "a.b.example.com", 443, "/"));
        assert!(!w.allows("https", "example.com", 443, "/"));
        assert!(!w.allows("https", "badexample.com", 443, "/"));
        let p = HttpRule::parse("http://127.0.0.1:8080").unwrap();
        assert!(p.allows("http", "127.0.0.1", 8080, "/x"));
        assert!(HttpRule::parse("ftp://x").is_err());
        assert!(HttpRule::parse("https://u@x").is_err());
        assert!(HttpRule::parse("https://x:0").is_err());
        assert!(HttpRule::parse("https://[::1]:8080").is_ok());
    }

    #[test]
    fn prefixes() {
        assert_eq!(table_prefix("com.example.crm"), "crm_");
        assert_eq!(table_prefix("com.example.my-plugin"), "my_plugin_");
        assert!(is_protected("Users"));
        assert!(is_protected("sqlite_master"));
        assert!(!is_protected("content"));
    }
}
