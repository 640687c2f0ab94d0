//! End to end: the real binary on a loopback port, real HTTP, real plugins in
//! all four runtimes.

use crate::backend::Backend;
use crate::server_support::{Server, plugin, wait_until};
use crate::support::{guests, script_manifest};
use serde_json::{Value, json};
use std::time::Duration;

fn probe_manifest(id: &str, extra: &str) -> String {
    format!(
        "[plugin]\nid = \"{id}\"\nname = \"probe\"\nversion = \"0.1.0\"\nruntime = \"wasm\"\n\n\
         [[routes]]\nmethod = \"POST\"\npath = \"/probe\"\nhandler = \"probe\"\n\n\
         [[routes]]\nmethod = \"GET\"\npath = \"/echo/:id\"\nhandler = \"echo\"\n\n{extra}\n"
    )
}

fn install_probe(root: &std::path::Path, id: &str, extra: &str) {
    let dir = plugin(root, &id.replace('.', "-"), &probe_manifest(id, extra), &[]);
    std::fs::copy(&guests().probe, dir.join("plugin.wasm")).unwrap();
}

crate::backend::on_both_backends!(
    content_hooks_run_across_all_four_runtimes_and_render_applies,
    plugin_routes_check_auth_and_never_see_the_callers_token,
    a_filter_can_refuse_an_operation_and_the_error_names_it,
);

fn content_hooks_run_across_all_four_runtimes_and_render_applies(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("data")).unwrap();
    // A table an operator created for plugins to share.
    let db = backend.database();
    db.batch(
        &root.join("data"),
        "CREATE TABLE e2e_log (source TEXT, title TEXT);",
    );
    plugin(
        root,
        "e2e-js",
        &script_manifest(
            "e2e.js",
            "js",
            "[permissions]\npersonal_data = [\"drafts\"]\n",
        ),
        &[(
            "main.js",
            "export function on_content_creating(input) {\n  const body = JSON.parse(input).body;\n  body.title = '[js] ' + body.title;\n  return body;\n}\n\
         export function render_content(input) {\n  const c = JSON.parse(input).body;\n  return '<article><h1>' + c.title + '</h1></article>';\n}\n",
        )],
    );
    plugin(
        root,
        "e2e-lua",
        &script_manifest(
            "e2e.lua",
            "lua",
            "[permissions]\ndatabase = [\"write:e2e_log\"]\npersonal_data = [\"drafts\"]\n\n[[routes]]\nmethod = \"GET\"\npath = \"/last\"\nhandler = \"last\"\nauth = \"public\"\n",
        ),
        &[(
            "init.lua",
            "local sdk = require('sdk')\nPlugin = {}\n\
         Plugin.on_content_created = function(input)\n  local c = sdk.extractJson(input, 'body')\n  sdk.kvSet('last_title', c.title)\n  sdk.dbExecute('INSERT INTO e2e_log (source, title) VALUES (?, ?)', { 'lua', c.title })\nend\n\
         Plugin.filter_html = function(input)\n  return sdk.extractJson(input, 'body') .. '<!-- filtered by lua -->'\nend\n\
         Plugin.last = function(req)\n  return sdk.ok({ title = sdk.kvGet('last_title') })\nend\n",
        )],
    );
    plugin(
        root,
        "e2e-rhai",
        &script_manifest(
            "e2e.rhai",
            "rhai",
            "[permissions]\npersonal_data = [\"drafts\"]\n",
        ),
        &[(
            "init.rhai",
            "fn on_content_created(input) {\n    log(\"info\", \"rhai saw \" + input.body.title);\n}\n",
        )],
    );
    install_probe(
        root,
        "e2e.probe",
        "[permissions]\ndatabase = [\"read:e2e_log\", \"read:content\"]\n",
    );
    let server = Server::start_on(root, &db);
    let alice = server.user("alice");
    let (status, c) = server.call(
        "POST",
        "/api/v1/content",
        Some(&alice),
        Some(json!({"title": "Hello", "body": "*md*"})),
    );
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["title"], "[js] Hello", "the JS filter changed the title");
    let id = c["id"].as_str().unwrap().to_string();
    assert!(
        wait_until(Duration::from_secs(10), || server
            .call("GET", "/api/v1/plugins/e2e.lua/last", None, None)
            .1["title"]
            == "[js] Hello"),
        "the Lua action wrote to KV"
    );
    assert!(
        server.wait_for_output("rhai saw [js] Hello", Duration::from_secs(10)),
        "{}",
        server.output()
    );
    let (status, r) = server.call(
        "POST",
        "/api/v1/plugins/e2e.probe/probe",
        Some(&alice),
        Some(json!({"op": "seq", "ops": [
            {"op": "db.query", "sql": "SELECT source, title FROM e2e_log"},
            {"op": "db.query", "sql": "SELECT title FROM content WHERE id = ?", "params": [id]},
        ]})),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r[0]["ok"],
        json!([{"source": "lua", "title": "[js] Hello"}]),
        "the Rust route reads what Lua wrote"
    );
    assert_eq!(r[1]["ok"], json!([{"title": "[js] Hello"}]));
    let (status, html) = server.call(
        "GET",
        &format!("/api/v1/content/{id}/html"),
        Some(&alice),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(
        html,
        json!("<article><h1>[js] Hello</h1></article><!-- filtered by lua -->")
    );
}

fn plugin_routes_check_auth_and_never_see_the_callers_token(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    install_probe(tmp.path(), "e2e.probe", "");
    let server = Server::start_on(tmp.path(), &backend.database());
    let (status, body) = server.call("GET", "/api/v1/plugins/e2e.probe/echo/7", None, None);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");
    let bob = server.user("bob");
    let (status, body) = server.call(
        "GET",
        "/api/v1/plugins/e2e.probe/echo/7?x=1",
        Some(&bob),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["caller"], "bob");
    assert_eq!(
        body["authorization"],
        Value::Null,
        "the token is not forwarded"
    );
    assert_eq!(body["params"], json!([["id", "7"]]));
    let (status, _) = server.call("GET", "/api/v1/plugins/e2e.probe/nope", Some(&bob), None);
    assert_eq!(status, 404);
    let (status, _) = server.call(
        "DELETE",
        "/api/v1/plugins/e2e.probe/echo/7",
        Some(&bob),
        None,
    );
    assert_eq!(status, 405);
    let (status, _) = server.call("GET", "/api/v1/plugins/e2e.ghost/x", Some(&bob), None);
    assert_eq!(status, 404);
    let (status, _) = server.call(
        "GET",
        "/api/v1/plugins/e2e.probe/echo/7",
        Some("not-a-token"),
        None,
    );
    assert_eq!(status, 401);
}

#[test]
fn the_seeds_quick_start_works_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_raisfast"))
        .args([
            "--plugin-dir",
            "plugins",
            "plugin",
            "new",
            "my-plugin",
            "--runtime",
            "js",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    std::fs::write(
        root.join("plugins/my-plugin/main.js"),
        "import { logInfo } from 'sdk';\nexport function on_content_created(input) {\nconst data = JSON.parse(input);\nlogInfo(\"new content: \" + data.id);\n}\n",
    )
    .unwrap();
    let server = Server::start(root);
    assert!(
        server
            .output()
            .contains("plugin loaded: com.example.my-plugin"),
        "{}",
        server.output()
    );
    let admin = server.admin();
    let (status, c) = server.call(
        "POST",
        "/api/v1/content",
        Some(&admin),
        Some(json!({"title": "First"})),
    );
    assert_eq!(status, 201);
    let line = format!("new content: {}", c["id"].as_str().unwrap());
    assert!(
        server.wait_for_output(&line, Duration::from_secs(10)),
        "{}",
        server.output()
    );
}

fn a_filter_can_refuse_an_operation_and_the_error_names_it(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    plugin(
        root,
        "guard",
        &script_manifest(
            "e2e.guard",
            "js",
            "[hooks.on_comment_creating]\non_error = \"continue\"\n",
        ),
        &[(
            "main.js",
            "export function on_content_deleting(input) {\n  if (JSON.parse(input).body.data.locked) throw new Error('locked content cannot be deleted');\n}\n\
         export function on_comment_creating(input) { throw new Error('broken filter'); }\n\
         export function on_content_updating(input) { return 'not content'; }\n",
        )],
    );
    let server = Server::start_on(root, &backend.database());
    let admin = server.admin();
    let (_, c) = server.call(
        "POST",
        "/api/v1/content",
        Some(&admin),
        Some(json!({"title": "Keep", "data": {"locked": true}, "status": "published"})),
    );
    let id = c["id"].as_str().unwrap();
    let (status, body) = server.call(
        "DELETE",
        &format!("/api/v1/content/{id}"),
        Some(&admin),
        None,
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "plugin_refused");
    assert_eq!(body["error"]["plugin"], "e2e.guard");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("locked content cannot be deleted")
    );
    // on_error = "continue": the broken filter is skipped.
    let (status, body) = server.call(
        "POST",
        &format!("/api/v1/content/{id}/comments"),
        Some(&admin),
        Some(json!({"body": "nice"})),
    );
    assert_eq!(status, 201, "{body}");
    // A filter returning the wrong shape aborts, naming the plugin.
    let (status, body) = server.call(
        "PATCH",
        &format!("/api/v1/content/{id}"),
        Some(&admin),
        Some(json!({"title": "New"})),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("its result was refused"),
        "{body}"
    );
    let (status, spec) = server.call("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(status, 200);
    assert!(spec["paths"]["/api/v1/content"].is_object(), "{spec}");
}

#[test]
fn a_static_route_wins_over_a_parameter_whatever_the_manifest_order() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "items",
        &script_manifest(
            "e2e.items",
            "js",
            "[[routes]]\nmethod = \"GET\"\npath = \"/items/:id\"\nhandler = \"one\"\nauth = \"public\"\n\n\
             [[routes]]\nmethod = \"GET\"\npath = \"/items/new\"\nhandler = \"fresh\"\nauth = \"public\"\n",
        ),
        &[(
            "main.js",
            "export function one(req) { return 'item ' + req.params.id; }\nexport function fresh() { return 'new form'; }\n",
        )],
    );
    let server = Server::start(tmp.path());
    let get = |p: &str| server.call("GET", &format!("/api/v1/plugins/e2e.items{p}"), None, None);
    assert_eq!(get("/items/new"), (200, json!("new form")));
    assert_eq!(get("/items/42"), (200, json!("item 42")));
    assert_eq!(get("/items").0, 404);
    assert_eq!(
        server
            .call("POST", "/api/v1/plugins/e2e.items/items/42", None, None)
            .0,
        405
    );
}
