//! The API contract is truthful: Schemathesis (from PyPI, installed by the
//! test command into `target/schemathesis-venv`) runs every operation of the
//! OpenAPI document against the real server with every check, the stateful
//! phase included, a fixed seed and 40 examples per operation
//! (`tests/contract/schemathesis.toml`), and must report no failure.

use crate::server_support::Server;
use crate::support::{copy_tree, root};
use std::process::Command;

#[test]
fn schemathesis_finds_the_openapi_document_truthful() {
    let bin = root().join("target/schemathesis-venv/bin/schemathesis");
    assert!(
        bin.is_file(),
        "{} is missing: scripts/test.sh installs Schemathesis (pip, in a virtualenv)",
        bin.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(
        &root().join("extensions/plugins/hello-js"),
        &tmp.path().join("plugins/hello-js"),
    );
    let server = Server::start(tmp.path());
    let token = server.admin();
    let out = Command::new(&bin)
        .arg("--config-file")
        .arg(root().join("tests/contract/schemathesis.toml"))
        .arg("run")
        .arg(server.url("/api/v1/openapi.json"))
        .env("RAISFAST_URL", &server.base)
        .env("RAISFAST_TOKEN", &token)
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_HOOKS", "")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "Schemathesis found failures:\n{report}"
    );
    assert!(report.contains("Seed: 42"), "{report}");
    for phase in ["Coverage", "Fuzzing", "Stateful"] {
        assert!(
            report.contains(&format!("✅ {phase}")),
            "{phase} did not pass:\n{report}"
        );
    }
}

#[test]
fn the_frameworks_own_errors_have_the_documented_json_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(tmp.path());
    let admin = server.admin();
    let auth = format!("Bearer {admin}");
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: [Case; 5] = [
        ("GET", "/no/such/path", vec![], 404, "not_found"),
        ("PUT", "/api/v1/content", vec![], 405, "method_not_allowed"),
        (
            "GET",
            "/api/v1/content?per_page=many",
            vec![],
            400,
            "invalid",
        ),
        (
            "POST",
            "/api/v1/content",
            vec![("authorization", &auth)],
            415,
            "unsupported_media_type",
        ),
        ("GET", "/api/v1/auth/me", vec![], 401, "unauthorized"),
    ];
    for (method, path, headers, status, code) in cases {
        let (got, hs, body) = server.raw(method, path, &headers, Vec::new());
        assert_eq!(got, status, "{method} {path}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {body}"));
        assert_eq!(json["error"]["code"], code, "{method} {path}: {body}");
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(
            hs.iter()
                .any(|(k, v)| k == "content-type" && v.starts_with("application/json")),
            "{hs:?}"
        );
        if status == 405 {
            let allow = hs
                .iter()
                .find(|(k, _)| k == "allow")
                .map(|(_, v)| v.as_str());
            assert_eq!(allow, Some("GET, POST"), "{hs:?}");
        }
    }
}
