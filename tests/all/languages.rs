//! WASM plugins in C, Zig and Go: the example plugins of `extensions/plugins`
//! are built from source by `raisfast plugin build` (clang-22 and wit-bindgen's
//! C bindings; Zig and Go from PyPI, see scripts/setup.sh), then run on a real
//! server: the action hook fires on new content, the route answers over HTTP,
//! the host API (log, KV, config, ids; db and events from Zig and Go) works
//! from each language.

use crate::server_support::{Server, wait_until};
use crate::support::root;
use raisfast::toolchain::sysroot::copy_dir;
use serde_json::json;
use std::process::Command;
use std::time::Duration;

const EXAMPLES: [(&str, &str); 3] = [
    ("hello-c", "com.raisfast.hello-c"),
    ("hello-zig", "com.raisfast.hello-zig"),
    ("hello-go", "com.raisfast.hello-go"),
];

/// Copies the example's sources (not what a build wrote) into `to`.
fn copy_sources(name: &str, to: &std::path::Path) {
    let from = root().join("extensions/plugins").join(name);
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        let file = entry.file_name().to_string_lossy().to_string();
        if ["sdk", "target", "plugin.wasm"].contains(&file.as_str()) {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(&file)).unwrap();
        } else {
            std::fs::copy(entry.path(), to.join(&file)).unwrap();
        }
    }
}

#[test]
fn c_zig_and_go_examples_build_from_source_and_serve() {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    for (name, _) in EXAMPLES {
        copy_sources(name, &plugins.join(name));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_raisfast"))
        .args(["plugin", "build"])
        .arg(&plugins)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    for (name, _) in EXAMPLES {
        assert!(plugins.join(name).join("plugin.wasm").is_file(), "{text}");
        assert!(text.contains(&format!("{name}/plugin.wasm")), "{text}");
    }
    // What `plugin build` wrote for the author: the SDK of each language.
    assert!(plugins.join("hello-c/sdk/plugin.h").is_file());
    assert!(plugins.join("hello-zig/sdk/raisfast.zig").is_file());
    assert!(plugins.join("hello-go/sdk/raisfast.go").is_file());

    let server = Server::start(tmp.path());
    for (_, id) in EXAMPLES {
        assert!(
            server.wait_for_output(&format!("plugin loaded: {id}"), Duration::from_secs(60)),
            "{}",
            server.output()
        );
    }
    let admin = server.admin();
    let (status, _) = server.call(
        "POST",
        "/api/v1/content",
        Some(&admin),
        Some(json!({"title": "Polyglot", "body": "hello"})),
    );
    assert_eq!(status, 201);
    for (name, id) in EXAMPLES {
        let hello = || {
            server.call(
                "GET",
                &format!("/api/v1/plugins/{id}/hello?name=Ada"),
                None,
                None,
            )
        };
        // The hook runs as an action, after the response: wait for its count.
        assert!(
            wait_until(Duration::from_secs(10), || hello().1["contents_created"]
                == json!(1)),
            "{name}: {}",
            server.output()
        );
        let (status, body) = hello();
        assert_eq!(status, 200, "{name}: {body}\n{}", server.output());
        assert_eq!(body["message"], "Hello, Ada!", "{name}: {body}");
        assert!(body["visits"].as_u64().unwrap() >= 2, "{name}: {body}");
        if name != "hello-c" {
            let id = body["request_id"].as_str().unwrap_or_default();
            assert_eq!(id.len(), 36, "{name}: a UUID from ids.new-id: {body}");
            // db.execute in the hook, db.query in the route (its own table).
            assert_eq!(body["seen"], json!(1), "{name}: {body}");
            // vfs write, exists and read (the previous call's name), kv list and delete.
            assert_eq!(body["previous_visitor"], "Ada", "{name}: {body}");
            assert_eq!(
                body["kv_keys"],
                json!(["created", "visits"]),
                "{name}: {body}"
            );
            assert_eq!(
                body["scratch_left"],
                json!(false),
                "{name}: written, deleted"
            );
        }
        let (status, _) = server.call("GET", &format!("/api/v1/plugins/{id}/nope"), None, None);
        assert_eq!(status, 404, "{name}");
    }
    // Many calls on the pooled instances: allocations that grow the heap, and
    // collections between host calls (Go's may not run while the host hands
    // back a result).
    for (name, id) in EXAMPLES {
        for i in 0..150 {
            let (status, body) = server.call(
                "GET",
                &format!("/api/v1/plugins/{id}/hello?name={}", "x".repeat(i * 50)),
                None,
                None,
            );
            assert_eq!(status, 200, "{name}, call {i}: {body}\n{}", server.output());
        }
    }
    let log = server.output();
    for (_, id) in EXAMPLES {
        assert!(
            log.lines()
                .any(|l| l.contains(id) && l.contains("new content")),
            "{id} logged the hook: {log}"
        );
    }
}
