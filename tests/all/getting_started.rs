//! Walks `docs/getting-started.md` exactly as written: every `raisfast`
//! command of its `sh` blocks runs in order in a fresh directory, every output
//! it shows is in what the command printed, every handler it shows is in the
//! file `plugin new` wrote, then `raisfast serve` starts, a content item is
//! created over HTTP, and the hook of every plugin the page created fires.

use crate::docs::{blocks, words};
use crate::server_support::{Server, wait_until};
use crate::support::root;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Runs one `raisfast` command line of the page in `cwd`.
fn run(line: &str, cwd: &Path) -> String {
    let w = words(line);
    let o = Command::new(env!("CARGO_BIN_EXE_raisfast"))
        .args(&w[1..])
        .current_dir(cwd)
        .env_remove("RAISFAST_CONFIG")
        // Rust plugins share the tests' build directory (same crates, no rebuild).
        .env("CARGO_TARGET_DIR", root().join("target/test-guests"))
        .output()
        .unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "`{line}` failed:\n{out}");
    out
}

/// Whether a file under `dir` contains `text`.
fn some_file_contains(dir: &Path, text: &str) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let p = e.unwrap().path();
        if p.is_dir() {
            return some_file_contains(&p, text);
        }
        std::fs::read_to_string(&p).is_ok_and(|f| f.contains(text))
    })
}

#[test]
fn getting_started_walks_as_written() {
    let md = std::fs::read_to_string(root().join("docs/getting-started.md")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let cache = root().join("target/test-compile-cache");
    std::fs::write(
        cwd.join("raisfast.toml"),
        format!("[runtime]\ncache_dir = {:?}\n", cache.display().to_string()),
    )
    .unwrap();
    let mut created: Vec<(String, PathBuf)> = Vec::new();
    let mut last_output = String::new();
    let mut server: Option<Server> = None;
    let mut posted = false;
    let mut outputs_checked = 0;
    for b in blocks(&md) {
        match b.info.as_str() {
            "sh" => {
                last_output.clear();
                for line in b.text.lines().filter(|l| l.starts_with("raisfast")) {
                    let w = words(line);
                    if w[1] == "serve" {
                        let plugins = cwd.join("extensions/plugins");
                        server = Some(Server::start_in(cwd, &plugins, &[]));
                        continue;
                    }
                    last_output.push_str(&run(line, cwd));
                    if w[1..3] == ["plugin", "new"] {
                        let dir = cwd.join("extensions/plugins").join(&w[3]);
                        assert!(dir.join("manifest.toml").is_file(), "{line}");
                        if dir.join("Cargo.toml").is_file() {
                            // The workspace's lock: the versions the tests build with.
                            std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock"))
                                .unwrap();
                        }
                        created.push((format!("com.example.{}", w[3]), dir));
                    }
                }
            }
            "js" | "ts" | "lua" | "rhai" | "go" => {
                let (_, dir) = created
                    .last()
                    .expect("a handler shown before any plugin new");
                assert!(
                    some_file_contains(dir, b.text.trim_end()),
                    "getting-started.md:{}: the handler shown is not what `plugin new` wrote in {}",
                    b.line,
                    dir.display()
                );
            }
            "text" if b.text.starts_with("TOKEN=") => {
                let s = server.as_ref().expect("the page starts the server first");
                let admin = s.admin();
                let (status, _) = s.call(
                    "POST",
                    "/api/v1/content",
                    Some(&admin),
                    Some(serde_json::json!({"title": "Hello"})),
                );
                assert_eq!(status, 201);
                posted = true;
            }
            "text" if posted => {
                let s = server.as_ref().unwrap();
                for (id, _) in &created {
                    assert!(
                        wait_until(Duration::from_secs(20), || s.output().lines().any(|l| {
                            l.contains(&format!("plugin=\"{id}\"")) && l.contains("new content")
                        })),
                        "the hook of {id} did not fire:\n{}",
                        s.output()
                    );
                }
                assert!(s.output().contains("INFO new content: "), "{}", s.output());
            }
            "text" if !last_output.is_empty() => {
                for expected in b.text.lines().filter(|l| !l.trim().is_empty()) {
                    assert!(
                        last_output.contains(expected),
                        "getting-started.md:{}: `{expected}` is not in what the commands printed:\n{last_output}",
                        b.line
                    );
                }
                outputs_checked += 1;
            }
            _ => {}
        }
    }
    assert_eq!(created.len(), 8, "one plugin per language");
    assert!(
        outputs_checked >= 5,
        "the outputs the page shows were checked"
    );
    assert!(posted, "the page creates content on the server");
}
