//! Every HTTP entry is bounded and what the server renders is safe, tried as
//! an anonymous client and an ordinary user would, over real HTTP.

use crate::server_support::{ADMIN_PASSWORD, Server, plugin};
use crate::support::script_manifest;
use serde_json::{Value, json};
use std::time::Instant;

fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    hs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn one_body_limit_for_every_endpoint_with_the_json_error_shape() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "echo",
        &script_manifest(
            "e2e.echo",
            "js",
            "[[routes]]\nmethod = \"POST\"\npath = \"/echo\"\nhandler = \"echo\"\nauth = \"public\"\n",
        ),
        &[(
            "main.js",
            "export function echo(req) { return req.body.length; }\n",
        )],
    );
    let server = Server::start(tmp.path());
    let admin = server.admin();
    let auth = format!("Bearer {admin}");
    let big = vec![b'x'; 1024 * 1024 + 1];
    for (method, path) in [
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/register"),
        ("POST", "/api/v1/content"),
        ("PATCH", "/api/v1/content/none"),
        ("POST", "/api/v1/content/none/comments"),
        ("POST", "/api/v1/admin/plugins/e2e.echo/reload"),
        ("POST", "/api/v1/plugins/e2e.echo/echo"),
        ("POST", "/api/v1/no/such/endpoint"),
    ] {
        // Declared length and streamed (chunked) alike.
        for chunked in [false, true] {
            let mut headers = vec![
                ("content-type", "application/json"),
                ("authorization", auth.as_str()),
            ];
            if chunked {
                headers.push(("transfer-encoding", "chunked"));
            }
            let (status, _, text) = server.raw(method, path, &headers, big.clone());
            assert_eq!(status, 413, "{method} {path} (chunked: {chunked}): {text}");
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}"));
            assert_eq!(v["error"]["code"], "too_large", "{v}");
        }
    }
    // Field caps: a content body over 512 KiB within the request limit.
    let (status, body) = server.call(
        "POST",
        "/api/v1/content",
        Some(&admin),
        Some(json!({"title": "big", "body": "x".repeat(600 * 1024)})),
    );
    assert_eq!(status, 400, "{body}");
    // JSON nested beyond the parser's depth is a 400, not a crash.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (status, _, text) = server.raw(
        "POST",
        "/api/v1/content",
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        format!("{{\"title\": \"t\", \"data\": {deep}}}").into_bytes(),
    );
    assert_eq!(status, 400, "{text}");
    // The server still serves.
    assert_eq!(server.call("GET", "/api/v1/content", None, None).0, 200);
}

#[test]
fn login_reveals_nothing_and_throttles_guessing() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(tmp.path());
    let login = |user: &str, password: &str| {
        let started = Instant::now();
        let (status, body) = server.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": user, "password": password})),
        );
        (status, body, started.elapsed())
    };
    // Timing: an unknown user costs what a known one does (a dummy hash).
    // Interleaved, the fastest of each compared; within noise means within a
    // factor of 2 here, where a skipped hash would be 20 to 100 times faster.
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..4 {
        let (s1, b1, t1) = login("admin", "wrong-password");
        let (s2, b2, t2) = login(&format!("nobody{i}"), "wrong-password");
        assert_eq!((s1, s2), (401, 401), "{b1} {b2}");
        assert_eq!(b1, b2, "the same answer for both");
        known.push(t1);
        unknown.push(t2);
    }
    known.sort();
    unknown.sort();
    // The fastest of each: other work on the machine only ever adds time.
    let (k, u) = (known[0].as_secs_f64(), unknown[0].as_secs_f64());
    assert!(
        u > k / 2.0 && u < k * 2.0,
        "known {known:?} unknown {unknown:?}"
    );
    // Guessing: after repeated failures the username is throttled: 429 with
    // Retry-After, even with the right password, until the budget refills.
    let mut throttled = None;
    for _ in 0..10 {
        let (status, body, _) = login("admin", "guess");
        if status == 429 {
            throttled = Some(body);
            break;
        }
        assert_eq!(status, 401, "{body}");
    }
    let body = throttled.expect("throttled after repeated failures");
    assert_eq!(body["error"]["code"], "throttled", "{body}");
    let (status, hs, _) = server.raw(
        "POST",
        "/api/v1/auth/login",
        &[("content-type", "application/json")],
        json!({"username": "admin", "password": ADMIN_PASSWORD})
            .to_string()
            .into_bytes(),
    );
    assert_eq!(status, 429);
    let retry: u64 = header(&hs, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another account is not locked out by it.
    let (status, body) = server.call(
        "POST",
        "/api/v1/auth/register",
        None,
        Some(json!({"username": "carol", "password": "carol-password"})),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(login("carol", "carol-password").0, 200);
}

#[test]
fn rendered_html_is_sanitized_and_served_with_a_restrictive_policy() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "page",
        &script_manifest(
            "e2e.page",
            "js",
            "[[routes]]\nmethod = \"GET\"\npath = \"/page\"\nhandler = \"page\"\nauth = \"public\"\n\n\
             [[routes]]\nmethod = \"GET\"\npath = \"/switch\"\nhandler = \"switch_protocols\"\nauth = \"public\"\n",
        ),
        &[(
            "main.js",
            "import { ok } from 'sdk';\n\
             export function page() { return '<script>alert(1)</script>'; }\n\
             export function switch_protocols() { return ok('upgrade', 101); }\n",
        )],
    );
    let server = Server::start(tmp.path());
    let user = server.user("mallory");
    let (status, c) = server.call(
        "POST",
        "/api/v1/content",
        Some(&user),
        Some(json!({
            "title": "hi",
            "status": "published",
            "body": "[click](javascript:alert(document.cookie))\n\n[b](JaVaScRiPt:alert(1)) ![i](data:text/html,x)\n\n<img src=x onerror=alert(1)>"
        })),
    );
    assert_eq!(status, 201, "{c}");
    let id = c["id"].as_str().unwrap();
    let (status, hs, html) = server.raw("GET", &format!("/api/v1/content/{id}/html"), &[], vec![]);
    assert_eq!(status, 200, "{html}");
    // No tag runs script (escaped text, `&lt;img ...&gt;`, is only text).
    for tag in html
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap().to_ascii_lowercase())
    {
        assert!(!tag.starts_with("script"), "{html}");
        for bad in ["javascript:", "data:", "onerror", "vbscript:"] {
            assert!(!tag.contains(bad), "<{tag}> in {html}");
        }
    }
    let csp = header(&hs, "content-security-policy").expect("a CSP on HTML");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(header(&hs, "x-content-type-options"), Some("nosniff"));
    // JSON answers carry nosniff too.
    let (_, hs, _) = server.raw("GET", "/api/v1/content", &[], vec![]);
    assert_eq!(header(&hs, "x-content-type-options"), Some("nosniff"));
    // A plugin's answer is never sniffed as HTML, and never switches protocols.
    let (status, hs, _) = server.raw("GET", "/api/v1/plugins/e2e.page/page", &[], vec![]);
    assert_eq!(status, 200);
    assert_eq!(header(&hs, "x-content-type-options"), Some("nosniff"));
    assert!(
        header(&hs, "content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let (status, _, text) = server.raw("GET", "/api/v1/plugins/e2e.page/switch", &[], vec![]);
    assert_eq!(status, 500, "{text}");
    assert_eq!(server.call("GET", "/api/v1/content", None, None).0, 200);
}
