//! Test support: the guest plugins (built once per run), and a harness with a
//! scratch data directory, a plugin directory and a real plugin manager.

use raisfast::host_api::http::Resolve;
use raisfast::host_api::{PluginContext, Services};
use raisfast::manager::{LoadReport, PluginManager};
use raisfast::settings::Settings;

use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Built guest components.
pub struct Guests {
    /// `tests/plugins/probe`: runs any host call its payload describes.
    pub probe: PathBuf,
    /// `tests/plugins/hostile`: loops, bombs memory, panics, recurses.
    pub hostile: PathBuf,
    /// `extensions/plugins/hello-rust`: the example plugin.
    pub hello: PathBuf,
    /// `tests/plugins/conformance-rust`: the conformance scenario in Rust.
    pub conformance: PathBuf,
    /// `tests/plugins/conformance-{go,zig}`: the conformance scenario and the
    /// whole-API probe in Go and Zig, built in place.
    pub conformance_go: PathBuf,
    /// See `conformance_go`.
    pub conformance_zig: PathBuf,
    /// `extensions/plugins/hello-{c,zig,go}`: the examples in C, Zig and Go,
    /// built in place (as `scripts/start.sh` does).
    pub polyglot: Vec<PathBuf>,
}

/// Builds the guest plugins once per test run (release, wasm32-wasip2, in
/// `target/test-guests` so that the outer cargo's lock is not in the way).
pub fn guests() -> &'static Guests {
    static GUESTS: OnceLock<Guests> = OnceLock::new();
    GUESTS.get_or_init(|| {
        let target = root().join("target").join("test-guests");
        let build = |dir: PathBuf| {
            raisfast::toolchain::build_plugin(&dir, Some(&target), true)
                .unwrap_or_else(|e| panic!("building {}: {e:#}", dir.display()))
        };
        Guests {
            probe: build(root().join("tests/plugins/probe")),
            hostile: build(root().join("tests/plugins/hostile")),
            hello: build(root().join("extensions/plugins/hello-rust")),
            conformance: build(root().join("tests/plugins/conformance-rust")),
            conformance_go: build(root().join("tests/plugins/conformance-go")),
            conformance_zig: build(root().join("tests/plugins/conformance-zig")),
            polyglot: ["hello-c", "hello-zig", "hello-go"]
                .map(|name| build(root().join("extensions/plugins").join(name)))
                .to_vec(),
        }
    })
}

/// Names resolved by a fixed table (for SSRF tests); others fail.
pub struct TableResolver(pub HashMap<String, IpAddr>);

impl Resolve for TableResolver {
    fn resolve(&self, host: &str, port: u16, _t: Duration) -> std::io::Result<Vec<SocketAddr>> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        match self.0.get(host) {
            Some(ip) => Ok(vec![SocketAddr::new(*ip, port)]),
            None => raisfast::host_api::http::SystemResolver.resolve(host, port, _t),
        }
    }
}

/// A scratch server: data directory, plugin directory, manager.
pub struct Harness {
    /// Holds the scratch directory.
    pub tmp: tempfile::TempDir,
    /// The plugin manager.
    pub manager: PluginManager,
}

/// Settings for a harness rooted at `dir`: small pools, a shared compile cache.
pub fn settings(dir: &Path) -> Settings {
    let mut s = Settings {
        data_dir: dir.join("data"),
        plugin_dir: dir.join("plugins"),
        ..Default::default()
    };
    s.runtime.pool_slots = 64;
    s.runtime.cache_dir = Some(root().join("target").join("test-compile-cache"));
    s
}

impl Harness {
    /// A harness with default settings.
    pub fn new() -> Harness {
        Harness::with(|_| {}, HashMap::new())
    }

    /// A harness with default settings on `db`.
    pub fn on(db: &crate::backend::TestDb) -> Harness {
        Harness::with(|s| db.apply(s), HashMap::new())
    }

    /// A harness whose settings `f` adjusts, resolving `names` first.
    pub fn with(f: impl FnOnce(&mut Settings), names: HashMap<String, IpAddr>) -> Harness {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = settings(tmp.path());
        f(&mut s);
        std::fs::create_dir_all(&s.plugin_dir).unwrap();
        std::fs::create_dir_all(&s.data_dir).unwrap();
        let db = raisfast::storage::open(&s).unwrap();
        let services = Services::with_resolver(Arc::new(s), db, Arc::new(TableResolver(names)));
        let manager = PluginManager::with_services(services).unwrap();
        Harness { tmp, manager }
    }

    /// The plugin directory.
    pub fn plugin_dir(&self) -> PathBuf {
        self.manager.services().settings.plugin_dir.clone()
    }

    /// Installs `wasm` as plugin `dir_name` with this manifest text.
    pub fn install(&self, dir_name: &str, wasm: &Path, manifest: &str) -> PathBuf {
        let dir = self.plugin_dir().join(dir_name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(wasm, dir.join("plugin.wasm")).unwrap();
        std::fs::write(dir.join("manifest.toml"), manifest).unwrap();
        dir
    }

    /// Installs the probe guest as `id` with extra manifest lines (permissions...).
    pub fn install_probe(&self, id: &str, extra: &str) -> PathBuf {
        let manifest = format!(
            "[plugin]\nid = \"{id}\"\nname = \"Probe\"\nversion = \"0.1.0\"\nruntime = \"wasm\"\n\n[hooks.probe]\n\n{extra}\n"
        );
        self.install(&id.replace('.', "-"), &guests().probe, &manifest)
    }

    /// Loads every installed plugin; panics if one fails.
    pub fn load_ok(&self) -> LoadReport {
        let r = self.manager.load_all();
        assert!(
            r.failed.is_empty(),
            "plugins failed to load: {:?}",
            r.failed
        );
        r
    }

    /// Runs one probe op (or a `seq`) in plugin `id` and returns what it reported.
    pub fn probe(&self, id: &str, op: Value) -> Value {
        let envelope = json!({ "hook": "probe", "id": null, "content_type": null, "body": op });
        let out = self
            .manager
            .call_hook(id, "probe", &envelope.to_string())
            .unwrap_or_else(|e| panic!("probe call failed: {e}"));
        serde_json::from_str(out.value.as_deref().unwrap_or("null")).unwrap()
    }

    /// The database, for setting up tables the way the server or an operator would.
    pub fn sql(&self, sql: &str) {
        let conn = self.raw_db().connection().unwrap();
        conn.execute_batch(sql).unwrap();
    }

    /// The server's SQLite database opened beside it, for reading and writing
    /// what a test needs without the storage interface.
    pub fn raw_db(&self) -> Arc<raisfast::storage::SqliteStorage> {
        let path = self.manager.services().settings.database_path();
        raisfast::storage::SqliteStorage::open(&path).unwrap()
    }

    /// The loaded plugin's context (grants, config...).
    pub fn context(&self, id: &str) -> Arc<PluginContext> {
        Arc::clone(self.manager.plugin(id).unwrap().context())
    }
}

/// Asserts a probe result is `{"ok": ...}` and returns the value.
#[track_caller]
pub fn ok(v: &Value) -> &Value {
    match v.get("ok") {
        Some(x) => x,
        None => panic!("expected ok, got {v}"),
    }
}

/// Asserts a probe result is an error of `kind` whose message contains `needle`.
#[track_caller]
pub fn err(v: &Value, kind: &str, needle: &str) {
    let e = v
        .get("err")
        .unwrap_or_else(|| panic!("expected {kind} error, got {v}"));
    assert_eq!(e["kind"], kind, "wrong error kind in {v}");
    let msg = e["message"].as_str().unwrap_or("");
    assert!(
        msg.contains(needle),
        "message {msg:?} should contain {needle:?}"
    );
}

/// A small HTTP/1.1 server on 127.0.0.1 for outbound-HTTP tests.
///
/// Paths: `/hello` (200 "hello"), `/echo` (method and body back),
/// `/redirect?to=URL` (302), `/big?bytes=N` (N bytes), `/slow?ms=N` (waits N ms),
/// `/headers` (the request's header names, one per line).
pub struct TestServer {
    /// Its port.
    pub port: u16,
}

impl TestServer {
    /// Starts the server on 127.0.0.1 on a free port.
    pub fn start() -> TestServer {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let method = parts.next().unwrap_or("").to_string();
                    let target = parts.next().unwrap_or("/").to_string();
                    let mut len = 0usize;
                    let mut names = String::new();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                        if let Some((name, _)) = h.split_once(':') {
                            names.push_str(&name.to_ascii_lowercase());
                            names.push('\n');
                        }
                        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    let _ = reader.read_exact(&mut body);
                    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                    let arg = |k: &str| {
                        query
                            .split('&')
                            .find_map(|p| p.strip_prefix(&format!("{k}=")))
                            .unwrap_or("")
                            .to_string()
                    };
                    let (status, extra, out): (&str, String, Vec<u8>) = match path {
                        "/hello" => ("200 OK", String::new(), b"hello".to_vec()),
                        "/headers" => ("200 OK", String::new(), names.clone().into_bytes()),
                        "/echo" => (
                            "200 OK",
                            String::new(),
                            format!("{method} {}", String::from_utf8_lossy(&body)).into_bytes(),
                        ),
                        "/redirect" => (
                            "302 Found",
                            format!("location: {}\r\n", arg("to")),
                            Vec::new(),
                        ),
                        "/big" => (
                            "200 OK",
                            String::new(),
                            vec![b'z'; arg("bytes").parse().unwrap_or(0)],
                        ),
                        "/slow" => {
                            std::thread::sleep(Duration::from_millis(
                                arg("ms").parse().unwrap_or(0),
                            ));
                            ("200 OK", String::new(), b"late".to_vec())
                        }
                        _ => ("404 Not Found", String::new(), b"no".to_vec()),
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
                        out.len()
                    );
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(&out);
                });
            }
        });
        TestServer { port }
    }
}

/// A manifest for a script plugin `id` in `runtime`, with extra lines.
pub fn script_manifest(id: &str, runtime: &str, extra: &str) -> String {
    format!(
        "[plugin]\nid = \"{id}\"\nname = \"{id}\"\nversion = \"0.1.0\"\nruntime = \"{runtime}\"\n\n{extra}\n"
    )
}

impl Harness {
    /// Installs a script plugin from `files` (path, contents) with this manifest.
    pub fn install_files(&self, dir_name: &str, manifest: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.plugin_dir().join(dir_name);
        for (path, text) in files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        std::fs::write(dir.join("manifest.toml"), manifest).unwrap();
        dir
    }

    /// Installs a copy of `tests/plugins/<fixture>` (its own manifest replaced).
    pub fn install_fixture(&self, fixture: &str, dir_name: &str, manifest: &str) -> PathBuf {
        let src = root().join("tests/plugins").join(fixture);
        let dir = self.plugin_dir().join(dir_name);
        copy_tree(&src, &dir);
        std::fs::write(dir.join("manifest.toml"), manifest).unwrap();
        dir
    }

    /// Calls `hook` on `id` with an envelope whose body is `body`.
    pub fn hook(
        &self,
        id: &str,
        hook: &str,
        body: Value,
    ) -> Result<Option<Value>, raisfast::runtime::CallFailure> {
        let envelope = json!({ "hook": hook, "id": body.get("id").cloned(), "content_type": null, "body": body });
        self.manager
            .call_hook(id, hook, &envelope.to_string())
            .map(|o| o.value.map(|v| serde_json::from_str(&v).unwrap()))
    }
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_name() == "target" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
