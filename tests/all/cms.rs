//! The CMS API over HTTP, and every server hook it fires, seen by a plugin.

use crate::backend::Backend;
use crate::server_support::{Server, plugin, wait_until};
use crate::support::script_manifest;
use raisfast::manifest::hooks::CORE_HOOKS;
use serde_json::{Value, json};
use std::time::Duration;

/// A plugin that records the name of every hook it receives (filters pass the body on).
fn recorder(root: &std::path::Path) {
    // Rows, not a KV list: actions run concurrently, and an INSERT loses nothing.
    let mut js = String::from(
        "import { dbExecute, dbQuery } from 'sdk';\nfunction seen(input) {\n  dbExecute('CREATE TABLE IF NOT EXISTS recorder_seen (hook TEXT)');\n  dbExecute('INSERT INTO recorder_seen (hook) VALUES (?)', [JSON.parse(input).hook]);\n}\n",
    );
    for h in CORE_HOOKS {
        if matches!(
            h.name,
            "on_load" | "on_unload" | "on_cron_tick" | "render_content"
        ) {
            continue;
        }
        js.push_str(&format!(
            "export function {}(input) {{ seen(input); }}\n",
            h.name
        ));
    }
    js.push_str("export function hooks() {\n  dbExecute('CREATE TABLE IF NOT EXISTS recorder_seen (hook TEXT)');\n  return dbQuery('SELECT hook FROM recorder_seen').map((r) => r.hook);\n}\n");
    let manifest = script_manifest(
        "e2e.recorder",
        "js",
        "[permissions]\npersonal_data = [\"users\", \"drafts\"]\n\n[[routes]]\nmethod = \"GET\"\npath = \"/hooks\"\nhandler = \"hooks\"\nauth = \"public\"\n",
    );
    plugin(root, "recorder", &manifest, &[("main.js", &js)]);
}

crate::backend::on_both_backends!(the_cms_api_and_the_hooks_it_fires);

fn the_cms_api_and_the_hooks_it_fires(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    recorder(tmp.path());
    let server = Server::start_on(tmp.path(), &backend.database());
    let (status, body) = server.call(
        "POST",
        "/api/v1/auth/register",
        None,
        Some(json!({"username": "x", "password": "short"})),
    );
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("invalid")),
        "{body}"
    );
    let erin = server.user("erin");
    let (status, _) = server.call(
        "POST",
        "/api/v1/auth/register",
        None,
        Some(json!({"username": "erin", "password": "password-123"})),
    );
    assert_eq!(status, 409);
    let (status, me) = server.call("GET", "/api/v1/auth/me", Some(&erin), None);
    assert_eq!(
        (status, me["username"].clone(), me["role"].clone()),
        (200, json!("erin"), json!("user"))
    );
    assert_eq!(server.call("GET", "/api/v1/auth/me", None, None).0, 401);
    let (status, wrong) = server.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"username": "erin", "password": "nope-nope-nope"})),
    );
    assert_eq!(
        (status, wrong["error"]["code"].clone()),
        (401, json!("bad_credentials"))
    );

    let (status, draft) = server.call(
        "POST",
        "/api/v1/content",
        Some(&erin),
        Some(json!({"title": "Draft post", "body": "# One"})),
    );
    assert_eq!(status, 201);
    assert_eq!(draft["slug"], "draft-post");
    let id = draft["id"].as_str().unwrap().to_string();
    for i in 0..3 {
        server.call(
            "POST",
            "/api/v1/content",
            Some(&erin),
            Some(json!({"title": format!("Page {i}"), "type": "page", "status": "published"})),
        );
    }
    let (_, public) = server.call("GET", "/api/v1/content", None, None);
    assert_eq!(
        public["total"], 3,
        "anonymous callers see published items only"
    );
    let (_, mine) = server.call(
        "GET",
        "/api/v1/content?per_page=2&page=2",
        Some(&erin),
        None,
    );
    assert_eq!(
        (
            mine["total"].clone(),
            mine["items"].as_array().unwrap().len()
        ),
        (json!(4), 2)
    );
    let (_, pages) = server.call("GET", "/api/v1/content?type=page&q=page%201", None, None);
    assert_eq!(pages["items"][0]["title"], "Page 1");
    assert_eq!(
        server
            .call("GET", &format!("/api/v1/content/{id}"), None, None)
            .0,
        404,
        "a draft is private"
    );
    let (status, viewed) = server.call("GET", "/api/v1/content/draft-post", Some(&erin), None);
    assert_eq!((status, viewed["id"].clone()), (200, json!(id)), "by slug");
    let (status, updated) = server.call(
        "PATCH",
        &format!("/api/v1/content/{id}"),
        Some(&erin),
        Some(json!({"body": "# Two", "data": {"k": 1}})),
    );
    assert_eq!(
        (
            status,
            updated["body"].clone(),
            updated["data"]["k"].clone()
        ),
        (200, json!("# Two"), json!(1))
    );
    let (_, published) = server.call(
        "POST",
        &format!("/api/v1/content/{id}/publish"),
        Some(&erin),
        None,
    );
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_i64());
    let (_, html) = server.call("GET", &format!("/api/v1/content/{id}/html"), None, None);
    assert_eq!(html, json!("<h1>Two</h1>\n"));
    let frank = server.user("frank");
    assert_eq!(
        server
            .call(
                "PATCH",
                &format!("/api/v1/content/{id}"),
                Some(&frank),
                Some(json!({"title": "mine"}))
            )
            .0,
        403
    );
    let (status, comment) = server.call(
        "POST",
        &format!("/api/v1/content/{id}/comments"),
        Some(&frank),
        Some(json!({"body": "First!"})),
    );
    assert_eq!(status, 201);
    let (_, comments) = server.call("GET", &format!("/api/v1/content/{id}/comments"), None, None);
    assert_eq!(comments[0]["body"], "First!");
    let comment_id = comment["id"].as_str().unwrap();
    assert_eq!(
        server
            .call(
                "DELETE",
                &format!("/api/v1/comments/{comment_id}"),
                Some(&erin),
                None
            )
            .0,
        204,
        "the content's author may delete it"
    );
    assert_eq!(
        server
            .call(
                "DELETE",
                &format!("/api/v1/content/{id}"),
                Some(&erin),
                None
            )
            .0,
        204
    );
    assert_eq!(
        server
            .call("GET", &format!("/api/v1/content/{id}"), Some(&erin), None)
            .0,
        404
    );
    assert_eq!(
        server
            .call("POST", "/api/v1/auth/logout", Some(&erin), None)
            .0,
        204
    );
    assert_eq!(
        server.call("GET", "/api/v1/auth/me", Some(&erin), None).0,
        401,
        "the session is closed"
    );

    let expected = [
        "on_user_registered",
        "on_user_login",
        "on_content_creating",
        "on_content_created",
        "on_content_published",
        "on_content_viewed",
        "on_content_updating",
        "on_content_updated",
        "filter_html",
        "on_comment_creating",
        "on_comment_created",
        "on_comment_deleted",
        "on_content_deleting",
        "on_content_deleted",
        "on_user_logout",
    ];
    let seen = || {
        server
            .call("GET", "/api/v1/plugins/e2e.recorder/hooks", None, None)
            .1
    };
    assert!(
        wait_until(Duration::from_secs(10), || {
            let s = seen();
            expected
                .iter()
                .all(|h| s.as_array().is_some_and(|a| a.contains(&Value::from(*h))))
        }),
        "hooks seen: {}",
        seen()
    );
}
