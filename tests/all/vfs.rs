//! Each plugin's files stay in its own directory, within its quotas.

use crate::backend::Backend;
use crate::support::{Harness, err, ok};
use serde_json::json;
use std::collections::HashMap;

crate::backend::on_both_backends!(
    files_roundtrip,
    escapes_are_denied,
    grants_are_checked,
    quotas_are_limits,
);

/// A probe with these filesystem grants and another with all, on `backend`
/// (files in the data directory, or in PostgreSQL where nodes share them).
fn harness(grants: &str, backend: Backend) -> Harness {
    let db = backend.database();
    let h = Harness::with(
        |s| {
            db.apply(s);
            s.vfs.max_file_bytes = 10_000;
            s.vfs.max_total_bytes = 25_000;
        },
        HashMap::new(),
    );
    h.install_probe(
        "test.probe",
        &format!("[permissions]\nfilesystem = {grants}\n"),
    );
    h.install_probe(
        "test.other",
        "[permissions]\nfilesystem = [\"read\", \"write\"]\n",
    );
    h.load_ok();
    h
}

fn files_roundtrip(backend: Backend) {
    let h = harness(r#"["read", "write"]"#, backend);
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "vfs.write", "path": "notes/a.txt", "data": "alpha"},
            {"op": "vfs.write", "path": "./notes//b.txt", "data": "beta"},
            {"op": "vfs.read", "path": "notes/a.txt"},
            {"op": "vfs.list", "path": "notes"},
            {"op": "vfs.list", "path": ""},
            {"op": "vfs.stat", "path": "notes/b.txt"},
            {"op": "vfs.exists", "path": "notes/c.txt"},
            {"op": "vfs.delete", "path": "notes/a.txt"},
            {"op": "vfs.read", "path": "notes/a.txt"},
            {"op": "vfs.write", "path": "notes/b.txt", "data": "beta2"},
            {"op": "vfs.read", "path": "notes/b.txt"},
            {"op": "vfs.delete", "path": "notes"},
        ]}),
    );
    assert_eq!(ok(&r[2]), "alpha");
    assert_eq!(
        ok(&r[3]),
        &json!([{"name": "a.txt", "is_dir": false, "size": 5}, {"name": "b.txt", "is_dir": false, "size": 4}])
    );
    assert_eq!(
        ok(&r[4]),
        &json!([{"name": "notes", "is_dir": true, "size": 0}])
    );
    assert_eq!(ok(&r[5])["name"], "notes/b.txt");
    assert!(ok(&r[5])["modified_ms"].as_u64().unwrap() > 0);
    assert_eq!(ok(&r[6]), &json!(false));
    err(&r[8], "not-found", "");
    assert_eq!(ok(&r[10]), "beta2");
    err(&r[11], "failed", "");
    // Another plugin sees none of it.
    let other = h.probe(
        "test.other",
        json!({"op": "vfs.exists", "path": "notes/b.txt"}),
    );
    assert_eq!(ok(&other), &json!(false));
}

fn escapes_are_denied(backend: Backend) {
    let h = harness(r#"["read", "write"]"#, backend);
    ok(&h.probe(
        "test.probe",
        json!({"op": "vfs.write", "path": "in.txt", "data": "x"}),
    ));
    // An operator (or anything outside the sandbox) left a link pointing out;
    // in PostgreSQL there are no links, and the names are checked the same.
    if backend == Backend::Sqlite {
        let root = h.context("test.probe").vfs.root().to_path_buf();
        let secret = h.tmp.path().join("secret.txt");
        std::fs::write(&secret, "top secret").unwrap();
        std::os::unix::fs::symlink(&secret, root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(h.tmp.path(), root.join("dirlink")).unwrap();
    }
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "vfs.read", "path": "../other/files/x"},
            {"op": "vfs.read", "path": "a/../../x"},
            {"op": "vfs.read", "path": "/etc/passwd"},
            {"op": "vfs.read", "path": "link.txt"},
            {"op": "vfs.read", "path": "dirlink/secret.txt"},
            {"op": "vfs.write", "path": "dirlink/planted.txt", "data": "x"},
            {"op": "vfs.read", "path": "a\u{0}b"},
            {"op": "vfs.read", "path": "a".repeat(2000)},
        ]}),
    );
    err(&r[0], "denied", "uses `..`");
    err(&r[1], "denied", "uses `..`");
    err(&r[2], "denied", "is absolute");
    if backend == Backend::Sqlite {
        err(&r[3], "denied", "leads outside the plugin's directory");
        err(&r[4], "denied", "leads outside the plugin's directory");
        err(&r[5], "denied", "leads outside the plugin's directory");
    } else {
        err(&r[3], "not-found", "");
        err(&r[4], "not-found", "");
        ok(&r[5]);
    }
    err(&r[6], "invalid", "NUL");
    err(&r[7], "invalid", "the limit is 1024");
    assert!(!h.tmp.path().join("planted.txt").exists());
}

fn grants_are_checked(backend: Backend) {
    let h = harness(r#"["read"]"#, backend);
    err(
        &h.probe(
            "test.probe",
            json!({"op": "vfs.write", "path": "a", "data": "x"}),
        ),
        "denied",
        "filesystem = [\"write\"]",
    );
    let none = harness("[]", backend);
    err(
        &none.probe("test.probe", json!({"op": "vfs.read", "path": "a"})),
        "denied",
        "filesystem = [\"read\"]",
    );
}

fn quotas_are_limits(backend: Backend) {
    let h = harness(r#"["read", "write"]"#, backend);
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "vfs.write", "path": "big", "size": 10_001},
            {"op": "vfs.write", "path": "a", "size": 10_000},
            {"op": "vfs.write", "path": "b", "size": 10_000},
            {"op": "vfs.write", "path": "c", "size": 10_000},
            {"op": "vfs.write", "path": "a", "size": 5_000},
            {"op": "vfs.write", "path": "c", "size": 5_000},
        ]}),
    );
    err(&r[0], "limit", "per-file quota is 10000 bytes");
    ok(&r[1]);
    ok(&r[2]);
    err(&r[3], "limit", "quota of 25000 bytes would be exceeded");
    ok(&r[4]);
    ok(&r[5]);
}
