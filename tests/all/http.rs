//! Outbound HTTP is refused outside the allow-list and to internal addresses,
//! however they are spelt or reached.

use crate::support::{Harness, TestServer, err, ok};
use serde_json::json;
use std::collections::HashMap;
use std::net::IpAddr;

fn names() -> HashMap<String, IpAddr> {
    let mut m = HashMap::new();
    m.insert("evil.test".to_string(), "127.0.0.1".parse().unwrap());
    m.insert("public.test".to_string(), "127.0.0.1".parse().unwrap());
    m.insert("internal.test".to_string(), "127.0.0.2".parse().unwrap());
    m.insert(
        "metadata.test".to_string(),
        "169.254.169.254".parse().unwrap(),
    );
    m
}

fn fetch(h: &Harness, url: &str) -> serde_json::Value {
    h.probe(
        "test.probe",
        json!({"op": "http.fetch", "url": url, "timeout_ms": 2000}),
    )
}

#[test]
fn a_host_not_on_the_list_is_denied_naming_the_entry() {
    let h = Harness::new();
    h.install_probe(
        "test.probe",
        "[permissions]\nhttp = [\"https://api.example.com/v1\"]\n",
    );
    h.load_ok();
    err(
        &fetch(&h, "https://other.example.com/x"),
        "denied",
        "add \"https://other.example.com\" to [permissions] http",
    );
    err(
        &fetch(&h, "https://api.example.com/v2/x"),
        "denied",
        "not on the plugin's allow-list",
    );
    err(
        &fetch(&h, "http://api.example.com/v1"),
        "denied",
        "allow-list",
    );
    err(
        &fetch(&h, "https://api.example.com:8443/v1"),
        "denied",
        "\"https://api.example.com:8443\"",
    );
    err(
        &fetch(&h, "file:///etc/passwd"),
        "invalid",
        "http:// or https://",
    );
    err(
        &fetch(&h, "not a url"),
        "invalid",
        "must be an absolute http:// or https:// URL",
    );
    err(
        &fetch(&h, "http://exa mple.com/"),
        "invalid",
        "not a valid URL",
    );
}

#[test]
fn loopback_and_private_addresses_are_refused_even_when_listed() {
    let server = TestServer::start();
    let p = server.port;
    let h = Harness::with(|_| {}, names());
    h.install_probe(
        "test.probe",
        &format!(
            "[permissions]\nhttp = [\"http://localhost:{p}\", \"http://127.0.0.1:{p}\", \"http://evil.test:{p}\", \
             \"http://2130706433:{p}\", \"http://0x7f000001:{p}\", \"http://[::1]:{p}\", \"http://[::ffff:127.0.0.1]:{p}\", \
             \"http://metadata.test\", \"http://169.254.169.254\", \"http://10.0.0.1\"]\n"
        ),
    );
    h.load_ok();
    for url in [
        format!("http://localhost:{p}/hello"),
        format!("http://127.0.0.1:{p}/hello"),
        format!("http://evil.test:{p}/hello"),
        format!("http://2130706433:{p}/hello"),
        format!("http://0x7f000001:{p}/hello"),
        format!("http://[::1]:{p}/hello"),
        format!("http://[::ffff:127.0.0.1]:{p}/hello"),
        "http://metadata.test/latest/meta-data/".to_string(),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.1/".to_string(),
    ] {
        let r = fetch(&h, &url);
        assert_eq!(r["err"]["kind"], "denied", "{url} -> {r}");
        let msg = r["err"]["message"].as_str().unwrap();
        assert!(
            msg.contains("internal networks") || msg.contains("allow-list"),
            "{url}: {msg}"
        );
    }
    err(
        &fetch(&h, &format!("http://evil.test:{p}/hello")),
        "denied",
        "resolves to 127.0.0.1 is a loopback address",
    );
}

#[test]
fn a_redirect_to_a_private_address_is_refused() {
    let server = TestServer::start();
    let p = server.port;
    // The operator allows 127.0.0.1 (a local service) but not 127.0.0.2.
    let h = Harness::with(
        |s| s.http.allowed_private_networks = vec!["127.0.0.1/32".parse().unwrap()],
        names(),
    );
    h.install_probe(
        "test.probe",
        &format!(
            "[permissions]\nhttp = [\"http://public.test:{p}\", \"http://internal.test:{p}\"]\n"
        ),
    );
    h.load_ok();
    assert_eq!(
        ok(&fetch(&h, &format!("http://public.test:{p}/hello")))["body"],
        "hello"
    );
    let to = format!("http://internal.test:{p}/hello");
    err(
        &fetch(&h, &format!("http://public.test:{p}/redirect?to={to}")),
        "denied",
        "127.0.0.2 is a loopback address",
    );
    // And a redirect off the allow-list is refused by the list.
    let off = format!("http://127.0.0.1:{p}/hello");
    err(
        &fetch(&h, &format!("http://public.test:{p}/redirect?to={off}")),
        "denied",
        "not on the plugin's allow-list",
    );
}

/// A test server on 127.0.0.1 (which the operator allows), and a probe plugin
/// allowed `hosts` (`http://NAME:PORT` plus `path`, for each name).
fn local(hosts: &[&str], path: &str) -> (TestServer, Harness) {
    let server = TestServer::start();
    let p = server.port;
    let h = Harness::with(
        |s| s.http.allowed_private_networks = vec!["127.0.0.1/32".parse().unwrap()],
        names(),
    );
    let list: Vec<String> = hosts
        .iter()
        .map(|n| format!("\"http://{n}:{p}{path}\""))
        .collect();
    h.install_probe(
        "test.probe",
        &format!("[permissions]\nhttp = [{}]\n", list.join(", ")),
    );
    h.load_ok();
    (server, h)
}

#[test]
fn a_plugins_headers_never_follow_a_redirect_to_another_host() {
    let (server, h) = local(&["public.test", "evil.test"], "");
    let p = server.port;
    let with_key = |url: String| {
        h.probe(
            "test.probe",
            json!({"op": "http.fetch", "url": url, "timeout_ms": 2000, "headers": {"x-api-key": "secret"}}),
        )
    };
    // Same origin: the key goes along.
    let same = with_key(format!("http://public.test:{p}/redirect?to=/headers"));
    assert!(
        ok(&same)["body"].as_str().unwrap().contains("x-api-key"),
        "{same}"
    );
    // Another host (allowed, but not the one the plugin gave its key to): it does not.
    let other = with_key(format!(
        "http://public.test:{p}/redirect?to=http://evil.test:{p}/headers"
    ));
    assert!(
        !ok(&other)["body"].as_str().unwrap().contains("x-api-key"),
        "{other}"
    );
}

#[test]
fn the_allow_list_matches_the_path_as_the_server_reads_it() {
    let (server, h) = local(&["public.test"], "/v1/");
    let p = server.port;
    for path in [
        "/v1/../hello",
        "/v1/%2e%2e/hello",
        "/v1/%2E./hello",
        "/v1/%252e%252e/hello",
        "/v1/..%2fhello",
    ] {
        err(
            &fetch(&h, &format!("http://public.test:{p}{path}")),
            "invalid",
            "dot segment or an encoded separator",
        );
    }
    err(
        &fetch(&h, &format!("http://public.test:{p}/hello")),
        "denied",
        "allow-list",
    );
}
