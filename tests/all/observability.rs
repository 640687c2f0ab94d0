//! What an operator's tools read from the real server: Prometheus metrics
//! counting plugin calls, denials and requests; liveness and readiness;
//! recent plugin log lines in the admin API.

use crate::server_support::{Server, plugin, wait_until};
use serde_json::json;
use std::time::Duration;

const TOKEN: &str = "scrape-token-0123456789";

fn manifest(id: &str) -> String {
    format!(
        "[plugin]\nid = \"{id}\"\nname = \"Observed\"\nversion = \"0.1.0\"\nruntime = \"js\"\n\n\
         [[routes]]\nmethod = \"GET\"\npath = \"/hello\"\nhandler = \"hello\"\nauth = \"public\"\n\n\
         [[routes]]\nmethod = \"GET\"\npath = \"/boom\"\nhandler = \"boom\"\nauth = \"public\"\n"
    )
}

const SOURCE: &str = "import { httpGet, logInfo } from 'sdk';\n\
    export function hello(req) {\n  logInfo('hello from the plugin', { n: '1' });\n  \
    try { httpGet('https://not-allowed.example/'); } catch (e) {}\n  return 'hi';\n}\n\
    export function boom(req) { throw new Error('it broke'); }\n";

/// The value of the series `name{labels}` in a Prometheus text page.
fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn metrics_count_calls_denials_and_requests_by_bounded_labels() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "observed",
        &manifest("test.observed"),
        &[("main.js", SOURCE)],
    );
    let server = Server::start_with(tmp.path(), &[("RAISFAST_METRICS_TOKEN", TOKEN)]);
    for _ in 0..3 {
        let (status, body) = server.call("GET", "/api/v1/plugins/test.observed/hello", None, None);
        assert_eq!((status, body), (200, json!("hi")));
    }
    let (status, _) = server.call("GET", "/api/v1/plugins/test.observed/boom", None, None);
    assert_eq!(status, 500);
    assert_eq!(
        server
            .call("GET", "/api/v1/content/no-such-id", None, None)
            .0,
        404
    );
    assert_eq!(server.call("GET", "/wp-login.php", None, None).0, 404);

    // Who may read them: the token Prometheus sends, or an administrator.
    let scrape = |auth: Option<&str>| {
        let headers: Vec<(&str, String)> = auth
            .map(|t| vec![("authorization", format!("Bearer {t}"))])
            .unwrap_or_default();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        server.raw("GET", "/metrics", &headers, Vec::new())
    };
    let (status, _, body) = scrape(None);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("metrics_token"), "{body}");
    assert_eq!(scrape(Some("wrong-token")).0, 401);
    let admin = server.admin();
    assert_eq!(scrape(Some(&admin)).0, 200);
    let (status, headers, page) = scrape(Some(TOKEN));
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/plain; version=0.0.4")),
        "{headers:?}"
    );

    let p = r#"plugin="test.observed""#;
    let want = [
        (
            format!(r#"raisfast_plugin_calls_total{{{p},handler="hello",outcome="ok"}}"#),
            3.0,
        ),
        (
            format!(r#"raisfast_plugin_calls_total{{{p},handler="boom",outcome="error"}}"#),
            1.0,
        ),
        (
            format!(r#"raisfast_plugin_call_duration_seconds_count{{{p},handler="hello"}}"#),
            3.0,
        ),
        (
            format!(r#"raisfast_plugin_denials_total{{{p},capability="http"}}"#),
            3.0,
        ),
        (
            r#"raisfast_http_requests_total{route="/api/v1/plugins/{plugin}/*",status="200"}"#
                .into(),
            3.0,
        ),
        (
            r#"raisfast_http_requests_total{route="/api/v1/plugins/{plugin}/*",status="500"}"#
                .into(),
            1.0,
        ),
        (
            r#"raisfast_http_requests_total{route="/api/v1/content/{id}",status="404"}"#.into(),
            1.0,
        ),
        (
            r#"raisfast_http_requests_total{route="other",status="404"}"#.into(),
            1.0,
        ),
        (
            r#"raisfast_http_requests_total{route="/metrics",status="401"}"#.into(),
            2.0,
        ),
    ];
    for (series, value) in want {
        assert_eq!(sample(&page, &series), Some(value), "{series} in:\n{page}");
    }
    assert!(
        page.contains("# TYPE raisfast_plugin_call_duration_seconds histogram"),
        "{page}"
    );
    assert!(page.contains(r#"raisfast_plugin_call_duration_seconds_bucket{plugin="test.observed",handler="hello",le="+Inf"} 3"#), "{page}");
    // Script plugins run on a fresh instance per call: none is left alive.
    assert_eq!(
        sample(&page, &format!("raisfast_plugin_instances_live{{{p}}}")),
        Some(0.0),
        "{page}"
    );
    // The plugin, called four times, is warm and protected within the
    // default budget; nothing had to be linked again.
    assert_eq!(sample(&page, "raisfast_plugins_warm"), Some(1.0), "{page}");
    assert_eq!(
        sample(&page, "raisfast_plugins_warm_budget_bytes"),
        Some(256.0 * 1024.0 * 1024.0),
        "{page}"
    );
    assert!(
        sample(&page, "raisfast_plugins_warm_bytes").is_some_and(|b| b > 0.0),
        "{page}"
    );
    assert_eq!(
        sample(&page, "raisfast_plugin_relinks_total"),
        Some(0.0),
        "{page}"
    );
    // No raw path became a label.
    assert!(
        !page.contains("no-such-id") && !page.contains("wp-login"),
        "{page}"
    );

    // The console's view of the same plugin: its recent log lines and failures.
    let (status, detail) = server.call(
        "GET",
        "/api/v1/admin/plugins/test.observed",
        Some(&admin),
        None,
    );
    assert_eq!(status, 200, "{detail}");
    let logs = detail["logs"].as_array().unwrap();
    assert!(
        logs.iter().any(|l| l["level"] == "info"
            && l["handler"] == "hello"
            && l["message"] == r#"hello from the plugin {"n":"1"}"#),
        "{logs:?}"
    );
    assert!(
        logs.iter().any(|l| l["level"] == "error"
            && l["handler"] == "boom"
            && l["message"].as_str().unwrap().contains("it broke")),
        "{logs:?}"
    );
    assert!(logs[0]["at_ms"].as_i64().unwrap() >= logs[logs.len() - 1]["at_ms"].as_i64().unwrap());
}

#[test]
fn health_answers_at_once_and_readiness_waits_for_the_plugins() {
    let tmp = tempfile::tempdir().unwrap();
    // A plugin whose top-level code takes a while (a fresh source each run, so
    // that no compile cache skips it).
    let nonce = uuid::Uuid::now_v7();
    let slow = format!(
        "// {nonce}\nconst until = Date.now() + 3000;\nwhile (Date.now() < until) {{}}\nexport function hello() {{ return 'hi'; }}\n"
    );
    plugin(
        tmp.path(),
        "slow",
        &manifest("test.slow"),
        &[("main.js", &slow)],
    );
    let server = Server::starting(tmp.path(), &[]);
    let (status, _, body) = server.raw("GET", "/healthz", &[], Vec::new());
    assert_eq!((status, body.as_str()), (200, "ok"));
    let (status, _, body) = server.raw("GET", "/readyz", &[], Vec::new());
    assert_eq!(status, 503, "{body}");
    let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["checks"]["plugins"], "loading", "{ready}");
    assert_eq!(ready["checks"]["database"], "ok", "{ready}");
    let (status, headers, body) = server.raw("GET", "/api/v1/content", &[], Vec::new());
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"starting\""), "{body}");
    assert!(
        headers.iter().any(|(k, v)| k == "retry-after" && v == "1"),
        "{headers:?}"
    );

    assert!(
        wait_until(Duration::from_secs(120), || server
            .output()
            .contains("RaisFast listening on")),
        "{}",
        server.output()
    );
    let (status, _, body) = server.raw("GET", "/readyz", &[], Vec::new());
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        json!({"ready": true, "checks": {"plugins": "loaded", "database": "ok"}})
    );
    let (status, body) = server.call("GET", "/api/v1/plugins/test.slow/hello", None, None);
    assert_eq!((status, body), (200, json!("hi")));
}

/// A stand-in OpenTelemetry collector: accepts OTLP/HTTP JSON posts and
/// keeps every span it receives.
fn collector() -> (
    u16,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let spans = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = std::sync::Arc::clone(&spans);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let kept = std::sync::Arc::clone(&kept);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut len = 0;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    if line.starts_with("POST /v1/traces") {
                        let doc: serde_json::Value =
                            serde_json::from_slice(&body).unwrap_or_default();
                        for rs in doc["resourceSpans"].as_array().into_iter().flatten() {
                            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                                for span in ss["spans"].as_array().into_iter().flatten() {
                                    let mut span = span.clone();
                                    span["resource"] = rs["resource"].clone();
                                    kept.lock().unwrap().push(span);
                                }
                            }
                        }
                    }
                    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}");
                }
            });
        }
    });
    (port, spans)
}

fn attr<'a>(span: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

#[test]
fn traces_go_to_an_otlp_collector_request_then_plugin_call_then_host_call() {
    let (port, spans) = collector();
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "traced",
        &manifest("test.traced"),
        &[(
            "main.js",
            "import { kvGet } from 'sdk';\nexport function hello() { kvGet('seen'); return 'hi'; }\nexport function boom() { throw new Error('no'); }\n",
        )],
    );
    let endpoint = format!("http://127.0.0.1:{port}");
    let server = Server::start_with(
        tmp.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    assert_eq!(
        server.call("GET", "/api/v1/plugins/test.traced/hello", None, None),
        (200, json!("hi"))
    );
    let name = "GET /api/v1/plugins/{plugin}/*";
    let found = wait_until(Duration::from_secs(30), || {
        let s = spans.lock().unwrap();
        s.iter().any(|x| x["name"] == name) && s.iter().any(|x| x["name"] == "host.call")
    });
    let all = spans.lock().unwrap().clone();
    assert!(found, "spans received: {all:#?}");
    let request = all.iter().find(|x| x["name"] == name).unwrap();
    assert_eq!(
        attr(request, "http.route"),
        Some(&json!({"stringValue": "/api/v1/plugins/{plugin}/*"}))
    );
    assert_eq!(
        attr(request, "http.response.status_code"),
        Some(&json!({"intValue": "200"}))
    );
    let call = all
        .iter()
        .find(|x| {
            x["name"] == "plugin.call"
                && attr(x, "handler") == Some(&json!({"stringValue": "hello"}))
        })
        .unwrap_or_else(|| panic!("no plugin.call span: {all:#?}"));
    assert_eq!(
        attr(call, "plugin"),
        Some(&json!({"stringValue": "test.traced"}))
    );
    assert_eq!(
        call["parentSpanId"], request["spanId"],
        "the plugin call is part of the request"
    );
    assert_eq!(call["traceId"], request["traceId"]);
    let host = all
        .iter()
        .find(|x| {
            x["name"] == "host.call" && attr(x, "call") == Some(&json!({"stringValue": "kv.get"}))
        })
        .unwrap_or_else(|| panic!("no host.call span: {all:#?}"));
    assert_eq!(
        host["parentSpanId"], call["spanId"],
        "the host call is part of the plugin call"
    );
    let service = request["resource"]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "service.name")
        .unwrap();
    assert_eq!(service["value"]["stringValue"], "raisfast");
    drop(server);
}

#[test]
fn plugins_beyond_the_warm_budget_answer_and_show_as_relinks() {
    // Five JS plugins, each a megabyte or two of compiled state, in a 4 MiB
    // budget: they cannot all stay warm, so calls in rotation make some cold
    // and link them again, and each still answers from its own snapshot.
    let tmp = tempfile::tempdir().unwrap();
    let ids: Vec<String> = (0..5).map(|i| format!("test.warm{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let manifest = format!(
            "[plugin]\nid = \"{id}\"\nname = \"Warm {i}\"\nversion = \"0.1.0\"\nruntime = \"js\"\n\n\
             [[routes]]\nmethod = \"GET\"\npath = \"/who\"\nhandler = \"who\"\nauth = \"public\"\n"
        );
        // Computed once, when the snapshot is taken: a relinked plugin must
        // find it in its image.
        let source = format!(
            "const table = Array.from({{ length: 50 }}, (_, k) => 'p{i}-' + k);\n\
             export function who(req) {{ return table[49]; }}\n"
        );
        plugin(
            tmp.path(),
            &format!("warm{i}"),
            &manifest,
            &[("main.js", &source)],
        );
    }
    let server = Server::start_with(
        tmp.path(),
        &[
            ("RAISFAST_METRICS_TOKEN", TOKEN),
            ("RAISFAST_WARM_MEMORY_MB", "4"),
        ],
    );
    for _ in 0..4 {
        for (i, id) in ids.iter().enumerate() {
            let (status, body) =
                server.call("GET", &format!("/api/v1/plugins/{id}/who"), None, None);
            assert_eq!((status, body), (200, json!(format!("p{i}-49"))), "{id}");
        }
    }
    let (status, _, page) = server.raw(
        "GET",
        "/metrics",
        &[("authorization", &format!("Bearer {TOKEN}"))],
        Vec::new(),
    );
    assert_eq!(status, 200, "{page}");
    let budget = sample(&page, "raisfast_plugins_warm_budget_bytes");
    assert_eq!(budget, Some(4.0 * 1024.0 * 1024.0), "{page}");
    let warm = sample(&page, "raisfast_plugins_warm").unwrap();
    assert!((1.0..5.0).contains(&warm), "{page}");
    // Each plugin alone fits, so the warm ones together stay within it.
    let bytes = sample(&page, "raisfast_plugins_warm_bytes").unwrap();
    assert!(bytes > 0.0 && bytes <= 4.0 * 1024.0 * 1024.0, "{page}");
    assert!(
        sample(&page, "raisfast_plugin_relinks_total").is_some_and(|n| n >= 1.0),
        "{page}"
    );
    // Nothing was refused or failed for it.
    for id in &ids {
        assert_eq!(
            sample(
                &page,
                &format!(
                    r#"raisfast_plugin_calls_total{{plugin="{id}",handler="who",outcome="ok"}}"#
                )
            ),
            Some(4.0),
            "{id} in:\n{page}"
        );
    }
}
