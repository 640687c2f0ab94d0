//! The sandbox holds by construction: one deadline bounds all of a call's
//! work, the operator's ceilings bound what a manifest may ask, and a plugin's
//! transaction cannot keep the core from writing. (The attack-by-attack table
//! is in `attacks.rs`; these are the checks that need a real server or CLI.)

use crate::server_support::{Server, plugin};
use crate::support::script_manifest;
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn manifests_above_the_operator_ceilings_are_refused_naming_both_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "greedy",
        &script_manifest("e2e.greedy", "js", "[permissions]\ntimeout_ms = 600000\n"),
        &[("main.js", "export function ping() { return 'pong'; }\n")],
    );
    plugin(
        tmp.path(),
        "modest",
        &script_manifest("e2e.modest", "js", "[permissions]\ntimeout_ms = 20000\n"),
        &[("main.js", "export function ping() { return 'pong'; }\n")],
    );
    let out = Command::new(env!("CARGO_BIN_EXE_raisfast"))
        .args(["plugin", "check", "plugins"])
        .current_dir(tmp.path())
        .env_remove("RAISFAST_CONFIG")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("timeout_ms = 600000 is above the server's limit of 30000"),
        "{text}"
    );
    assert!(text.contains("ok   e2e.modest"), "{text}");
    // The server refuses it the same way and serves the others.
    let server = Server::start(tmp.path());
    assert!(
        server
            .output()
            .contains("timeout_ms = 600000 is above the server's limit of 30000"),
        "{}",
        server.output()
    );
    let admin = server.admin();
    let (_, detail) = server.call(
        "GET",
        "/api/v1/admin/plugins/e2e.modest",
        Some(&admin),
        None,
    );
    assert_eq!(detail["plugin"]["state"], "active", "{detail}");
}

#[test]
fn a_login_succeeds_while_a_plugin_holds_a_write_transaction() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "hog",
        &script_manifest(
            "e2e.hog",
            "js",
            "[permissions]\ntimeout_ms = 25000\n\n[[routes]]\nmethod = \"POST\"\npath = \"/hog\"\nhandler = \"hog\"\nauth = \"public\"\n",
        ),
        &[(
            "main.js",
            // Takes the write lock, then never lets go until its deadline.
            "import { dbBegin, kvSet } from 'sdk';\nexport function hog() { dbBegin(); kvSet('held', true); while (true) {} }\n",
        )],
    );
    let server = Server::start(tmp.path());
    std::thread::scope(|s| {
        let hog = s.spawn(|| {
            let started = Instant::now();
            let r = server.call("POST", "/api/v1/plugins/e2e.hog/hog", None, None);
            (r, started.elapsed())
        });
        // Give the plugin time to take the lock.
        std::thread::sleep(Duration::from_secs(2));
        let started = Instant::now();
        let (status, body) = server.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "admin", "password": crate::server_support::ADMIN_PASSWORD})),
        );
        let waited = started.elapsed();
        assert_eq!(status, 200, "{body}");
        // Without preemption the login would wait for the plugin's 25 s deadline.
        assert!(
            waited < Duration::from_secs(12),
            "the login waited {waited:?}"
        );
        let ((status, body), hog_took) = hog.join().unwrap();
        assert_eq!(status, 500, "{body}");
        assert!(
            hog_took < Duration::from_secs(20),
            "the hog ran {hog_took:?}"
        );
    });
    assert!(
        server
            .output()
            .contains("held the database write lock while the server needed to write"),
        "{}",
        server.output()
    );
}
