//! Small helpers for readable terminal output.

use crate::manifest::Manifest;
use crate::manifest::grants::Grants;

/// The consent-screen summary of what a plugin is granted, one line per capability.
pub fn grants_summary(m: &Manifest) -> Vec<String> {
    let g = Grants::from_manifest(m);
    let p = &m.permissions;
    let mut out = Vec::new();
    let prefix = crate::manifest::grants::table_prefix(m.id());
    let mut db: Vec<String> = p.database.iter().map(|e| e.get_ref().clone()).collect();
    db.push(format!("own tables {prefix}*"));
    out.push(format!("database: {}", db.join(", ")));
    if !g.http.is_empty() {
        let hosts: Vec<String> = p.http.iter().map(|e| e.get_ref().clone()).collect();
        out.push(format!("http: {}", hosts.join(", ")));
    }
    if g.fs_read || g.fs_write {
        let mut v = Vec::new();
        if g.fs_read {
            v.push("read");
        }
        if g.fs_write {
            v.push("write");
        }
        out.push(format!("files: {} (its own directory)", v.join(" + ")));
    }
    if g.users || g.drafts {
        let mut v = Vec::new();
        if g.users {
            v.push("user accounts with their email (on_user_* hooks)");
        }
        if g.drafts {
            v.push("unpublished drafts");
        }
        out.push(format!("personal data: {}", v.join(", ")));
    }
    if !g.server_settings.is_empty() {
        out.push(format!("server settings: {}", g.server_settings.join(", ")));
    }
    out.push(format!(
        "limits: {} ms per call, {} MiB per instance",
        m.timeout_ms(),
        m.max_memory_mb()
    ));
    out
}
