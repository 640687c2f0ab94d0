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
    // The log line is read from the server's output in the background.
    assert!(
        server.wait_for_output(
            "held the database write lock while the server needed to write",
            Duration::from_secs(10)
        ),
        "{}",
        server.output()
    );
}

#[test]
fn one_slow_plugin_does_not_starve_the_others_actions() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "slow",
        &script_manifest("e2e.slow", "js", "[permissions]\ntimeout_ms = 3000\n"),
        &[(
            "main.js",
            // Runs to its deadline on every view.
            "export function on_content_viewed(input) { while (true) {} }\n",
        )],
    );
    plugin(
        tmp.path(),
        "counter",
        &script_manifest(
            "e2e.views",
            "js",
            "[[routes]]\nmethod = \"GET\"\npath = \"/views\"\nhandler = \"views\"\nauth = \"public\"\n",
        ),
        &[(
            "main.js",
            "import { kvGet, kvSet } from 'sdk';\n\
             export function on_content_viewed(input) { kvSet('views', (kvGet('views') ?? 0) + 1); }\n\
             export function views() { return kvGet('views') ?? 0; }\n",
        )],
    );
    let server = Server::start(tmp.path());
    let admin = server.admin();
    let (status, c) = server.call(
        "POST",
        "/api/v1/content",
        Some(&admin),
        Some(json!({"title": "seen", "status": "published"})),
    );
    assert_eq!(status, 201, "{c}");
    let id = c["id"].as_str().unwrap();
    for _ in 0..10 {
        let (status, _) = server.call("GET", &format!("/api/v1/content/{id}"), None, None);
        assert_eq!(status, 200);
    }
    // The slow plugin's ten actions take 30 s in its own queue; the counter's
    // ten run meanwhile.
    let started = Instant::now();
    let counted = crate::server_support::wait_until(Duration::from_secs(8), || {
        server
            .call("GET", "/api/v1/plugins/e2e.views/views", None, None)
            .1
            == json!(10)
    });
    assert!(
        counted,
        "after {:?}: {}",
        started.elapsed(),
        server.output()
    );
    // Timeouts on content anyone can view never switch the slow plugin off.
    let (_, detail) = server.call("GET", "/api/v1/admin/plugins/e2e.slow", Some(&admin), None);
    assert_eq!(detail["plugin"]["state"], "active", "{detail}");
}

#[test]
fn personal_data_reaches_only_plugins_granted_it() {
    let tmp = tempfile::tempdir().unwrap();
    let source = "import { kvGet, kvSet } from 'sdk';\n\
        export function on_user_registered(input) { kvSet('users', (kvGet('users') ?? []).concat([JSON.parse(input).body.email])); }\n\
        export function on_content_created(input) { kvSet('content', (kvGet('content') ?? []).concat([JSON.parse(input).body.title])); }\n\
        export function seen() { return { users: kvGet('users') ?? [], content: kvGet('content') ?? [] }; }\n";
    let route =
        "[[routes]]\nmethod = \"GET\"\npath = \"/seen\"\nhandler = \"seen\"\nauth = \"public\"\n";
    plugin(
        tmp.path(),
        "nosy",
        &script_manifest("e2e.nosy", "js", route),
        &[("main.js", source)],
    );
    plugin(
        tmp.path(),
        "granted",
        &script_manifest(
            "e2e.granted",
            "js",
            &format!("[permissions]\npersonal_data = [\"users\", \"drafts\"]\n\n{route}"),
        ),
        &[("main.js", source)],
    );
    // A filter without the grant is not called for a draft.
    plugin(
        tmp.path(),
        "filterer",
        &script_manifest("e2e.filterer", "js", ""),
        &[(
            "main.js",
            "export function on_content_creating(input) { const b = JSON.parse(input).body; b.title += ' [f]'; return b; }\n",
        )],
    );
    let server = Server::start(tmp.path());
    let (status, body) = server.call(
        "POST",
        "/api/v1/auth/register",
        None,
        Some(json!({"username": "dora", "password": "dora-password", "email": "dora@example.com"})),
    );
    assert_eq!(status, 201, "{body}");
    let dora = server.login("dora", "dora-password");
    for (title, status) in [("secret draft", "draft"), ("public post", "published")] {
        let (s, b) = server.call(
            "POST",
            "/api/v1/content",
            Some(&dora),
            Some(json!({"title": title, "status": status})),
        );
        assert_eq!(s, 201, "{b}");
    }
    let seen = |id: &str| {
        server
            .call("GET", &format!("/api/v1/plugins/{id}/seen"), None, None)
            .1
    };
    assert!(
        crate::server_support::wait_until(Duration::from_secs(10), || {
            seen("e2e.granted")
                == json!({"users": ["dora@example.com"], "content": ["secret draft", "public post [f]"]})
        }),
        "{}",
        seen("e2e.granted")
    );
    // Events are delivered asynchronously, per subscriber: wait until the
    // plugin without the grant has had both content events too.
    assert!(
        crate::server_support::wait_until(Duration::from_secs(10), || {
            seen("e2e.nosy")["content"]
                .as_array()
                .is_some_and(|c| c.len() >= 2)
        }),
        "{}",
        seen("e2e.nosy")
    );
    assert_eq!(
        seen("e2e.nosy"),
        // No account, and of the draft only its metadata (not its title).
        json!({"users": [], "content": [null, "public post [f]"]})
    );
}

#[test]
fn an_installed_plugin_id_cannot_be_taken_over_from_another_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let route =
        "[[routes]]\nmethod = \"GET\"\npath = \"/who\"\nhandler = \"who\"\nauth = \"public\"\n";
    let manifest = script_manifest("e2e.victim", "js", route);
    plugin(
        tmp.path(),
        "m-victim",
        &manifest,
        &[("main.js", "export function who() { return 'victim'; }\n")],
    );
    let who = |s: &Server| {
        s.call("GET", "/api/v1/plugins/e2e.victim/who", None, None)
            .1
    };
    let mut server = Server::start(tmp.path());
    assert_eq!(who(&server), json!("victim"));
    // A directory sorting first arrives later (hot reload) with the same id.
    plugin(
        tmp.path(),
        "a-evil",
        &manifest,
        &[("main.js", "export function who() { return 'evil'; }\n")],
    );
    assert!(
        server.wait_for_output(
            "a-evil declares it too and is not loaded",
            Duration::from_secs(10)
        ),
        "{}",
        server.output()
    );
    assert_eq!(who(&server), json!("victim"));
    server.kill_9();
    // And at the next start, whatever the directory order.
    let server = Server::start(tmp.path());
    assert_eq!(who(&server), json!("victim"));
    let out = server.output();
    assert!(
        out.contains("plugin id e2e.victim is installed from") && out.contains("m-victim"),
        "{out}"
    );
}
