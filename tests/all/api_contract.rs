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
