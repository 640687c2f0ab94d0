//! What a plugin asks for, in plain words: the consent an operator gives
//! before a package is installed (`raisfast plugin install`, the console),
//! and what changes when a new version replaces an installed one.
//!
//! One [`Permission`] per grant of the manifest (each table, each HTTP
//! origin, each kind of personal data...), plus the routes anyone may call
//! and the jobs the plugin runs on its own, so that a diff names exactly
//! what an upgrade adds.

use super::grants::{parse_db_grant, table_prefix};
use super::{Manifest, RouteAuth};
use serde::Serialize;

/// One thing a plugin may do, as an operator reads it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Permission {
    /// `database`, `http`, `files`, `personal_data`, `config`, `routes`,
    /// `cron` or `limits`.
    pub capability: String,
    /// The grant as the manifest writes it (`read:products`,
    /// `https://api.example.com`, `GET /hello (public)`).
    pub grant: String,
    /// What it lets the plugin do, in plain words.
    pub text: String,
}

fn p(capability: &str, grant: impl Into<String>, text: impl Into<String>) -> Permission {
    Permission {
        capability: capability.into(),
        grant: grant.into(),
        text: text.into(),
    }
}

/// Everything `m` asks for, in a stable order.
pub fn permissions(m: &Manifest) -> Vec<Permission> {
    let perms = &m.permissions;
    let prefix = table_prefix(m.id());
    let mut out = vec![p(
        "database",
        format!("{prefix}*"),
        format!("Create, read and change its own tables ({prefix}*)"),
    )];
    for g in &perms.database {
        let g = g.get_ref();
        let text = match parse_db_grant(g) {
            Ok(d) => {
                let what = match (d.read, d.write) {
                    (true, true) => "Read and change",
                    (true, false) => "Read",
                    _ => "Change",
                };
                match d.table {
                    Some(t) => format!("{what} the `{t}` table"),
                    None => format!("{what} every table but the core ones (users, sessions)"),
                }
            }
            Err(_) => format!("Database access `{g}`"),
        };
        out.push(p("database", g.clone(), text));
    }
    for h in &perms.http {
        let h = h.get_ref();
        out.push(p(
            "http",
            h.clone(),
            format!("Send requests to {h} (and the paths below it)"),
        ));
    }
    for f in &perms.filesystem {
        let f = f.get_ref();
        let text = match f.as_str() {
            "read" => "Read files in its own folder".to_string(),
            "write" => "Create, change and delete files in its own folder".to_string(),
            other => format!("Files: `{other}`"),
        };
        out.push(p("files", f.clone(), text));
    }
    for d in &perms.personal_data {
        let d = d.get_ref();
        let text = match d.as_str() {
            "users" => "See user accounts, with their email addresses".to_string(),
            "drafts" => "See content that is not published yet".to_string(),
            other => format!("Personal data: `{other}`"),
        };
        out.push(p("personal_data", d.clone(), text));
    }
    for c in &perms.config {
        let c = c.get_ref();
        out.push(p(
            "config",
            c.clone(),
            format!("Read the server setting `{c}`"),
        ));
    }
    for r in &m.routes {
        let who = match r.auth {
            RouteAuth::Public => "anyone, signed in or not",
            RouteAuth::User => "signed-in users",
            RouteAuth::Admin => "administrators",
        };
        let method = serde_json::to_value(r.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let path = r.path.get_ref();
        out.push(p(
            "routes",
            format!("{method} {path} ({who})"),
            format!("Answer {method} /api/v1/plugins/{}{path} for {who}", m.id()),
        ));
    }
    for c in &m.cron {
        let schedule = c.schedule.get_ref();
        out.push(p(
            "cron",
            format!("{} {schedule}", c.name),
            format!(
                "Run on its own on the schedule `{schedule}` (job `{}`)",
                c.name
            ),
        ));
    }
    out.push(p(
        "limits",
        format!("{} ms, {} MiB", m.timeout_ms(), m.max_memory_mb()),
        format!(
            "Work up to {} ms per call, with up to {} MiB of memory",
            m.timeout_ms(),
            m.max_memory_mb()
        ),
    ));
    out
}

/// What an upgrade changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// Asked for by the new version only: needs the operator's approval.
    pub added: Vec<Permission>,
    /// No longer asked for.
    pub removed: Vec<Permission>,
    /// Asked for by both.
    pub kept: Vec<Permission>,
}

impl Diff {
    /// Whether the new version asks for anything the old one did not.
    pub fn asks_more(&self) -> bool {
        !self.added.is_empty()
    }
}

/// The change from `old` to `new` (compared by capability and grant).
pub fn diff(old: &[Permission], new: &[Permission]) -> Diff {
    let key = |x: &Permission| (x.capability.clone(), x.grant.clone());
    let old_keys: Vec<_> = old.iter().map(key).collect();
    let new_keys: Vec<_> = new.iter().map(key).collect();
    Diff {
        added: new
            .iter()
            .filter(|x| !old_keys.contains(&key(x)))
            .cloned()
            .collect(),
        removed: old
            .iter()
            .filter(|x| !new_keys.contains(&key(x)))
            .cloned()
            .collect(),
        kept: new
            .iter()
            .filter(|x| old_keys.contains(&key(x)))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn manifest(extra: &str) -> Manifest {
        let text = format!(
            "[plugin]\nid = \"com.example.shop\"\nname = \"Shop\"\nversion = \"1.0.0\"\nruntime = \"js\"\n\n{extra}"
        );
        Manifest::parse(Path::new("manifest.toml"), &text, None)
            .unwrap()
            .0
    }

    #[test]
    fn each_grant_reads_as_a_sentence() {
        let m = manifest(
            "[permissions]\ndatabase = [\"read:products\", \"*\"]\nhttp = [\"https://api.example.com\"]\n\
             filesystem = [\"write\"]\npersonal_data = [\"users\"]\nconfig = [\"site.url\"]\n\n\
             [[routes]]\nmethod = \"GET\"\npath = \"/hello\"\nhandler = \"hello\"\nauth = \"public\"\n\n\
             [[cron]]\nname = \"nightly\"\nschedule = \"0 3 * * *\"\nhandler = \"nightly\"\n",
        );
        let texts: Vec<String> = permissions(&m).into_iter().map(|p| p.text).collect();
        assert_eq!(
            texts,
            [
                "Create, read and change its own tables (shop_*)",
                "Read the `products` table",
                "Read and change every table but the core ones (users, sessions)",
                "Send requests to https://api.example.com (and the paths below it)",
                "Create, change and delete files in its own folder",
                "See user accounts, with their email addresses",
                "Read the server setting `site.url`",
                "Answer GET /api/v1/plugins/com.example.shop/hello for anyone, signed in or not",
                "Run on its own on the schedule `0 3 * * *` (job `nightly`)",
                "Work up to 5000 ms per call, with up to 32 MiB of memory",
            ]
        );
    }

    #[test]
    fn an_upgrade_names_what_it_adds_and_drops() {
        let old = permissions(&manifest("[permissions]\nhttp = [\"https://a.example\"]\n"));
        let new = permissions(&manifest(
            "[permissions]\nhttp = [\"https://b.example\"]\npersonal_data = [\"drafts\"]\n",
        ));
        let d = diff(&old, &new);
        let grants = |v: &[Permission]| v.iter().map(|p| p.grant.clone()).collect::<Vec<_>>();
        assert_eq!(grants(&d.added), ["https://b.example", "drafts"]);
        assert_eq!(grants(&d.removed), ["https://a.example"]);
        assert!(d.asks_more());
        assert!(!diff(&new, &new).asks_more());
    }
}
