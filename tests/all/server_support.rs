//! End-to-end support: the real `raisfast serve` on a loopback port, spoken to
//! over HTTP, its output captured.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The administrator's password in every test server.
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// A running server.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    output: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `raisfast serve` on `root/data` and `root/plugins` (hot reload on,
    /// with a short debounce).
    pub fn start(root: &Path) -> Server {
        Server::start_with(root, &[])
    }

    /// Starts it on `db` (SQLite in `root/data`, or a PostgreSQL database).
    pub fn start_on(root: &Path, db: &crate::backend::TestDb) -> Server {
        Server::start_with(root, &db.env())
    }

    /// Starts it with extra environment variables.
    pub fn start_with(root: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_in(root, &root.join("plugins"), env)
    }

    /// Starts it on `root/data` with the plugins of `plugins`.
    pub fn start_in(root: &Path, plugins: &Path, env: &[(&str, &str)]) -> Server {
        Server::launch(root, plugins, env, "RaisFast listening on ")
    }

    /// Starts it and returns as soon as it listens, before its plugins are
    /// loaded.
    pub fn starting(root: &Path, env: &[(&str, &str)]) -> Server {
        Server::launch(root, &root.join("plugins"), env, "RaisFast starting on ")
    }

    fn launch(root: &Path, plugins: &Path, env: &[(&str, &str)], announce: &'static str) -> Server {
        let data = root.join("data");
        let plugins = plugins.to_path_buf();
        std::fs::create_dir_all(&plugins).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_raisfast"));
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(&data)
            .arg("--plugin-dir")
            .arg(&plugins)
            .current_dir(root)
            .env_remove("RAISFAST_CONFIG")
            .env("RAISFAST_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RAISFAST_LOG", "info,plugin=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let cache = crate::support::root().join("target/test-compile-cache");
        let settings = format!(
            "[server]\nreload_debounce_ms = 300\n\n[runtime]\ncache_dir = {:?}\n",
            cache.display().to_string()
        );
        std::fs::write(root.join("raisfast.toml"), settings).unwrap();
        let mut child = cmd.spawn().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = Arc::clone(&output);
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(addr) = line.strip_prefix(announce) {
                        let addr = addr.split_whitespace().next().unwrap_or_default();
                        let _ = tx.send(addr.to_string());
                    }
                    out.lock().unwrap().push(line);
                }
            });
        }
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                panic!(
                    "the server did not start:\n{}",
                    output.lock().unwrap().join("\n")
                )
            });
        Server {
            child,
            base,
            output,
        }
    }

    /// Everything the server printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }

    /// Waits until the output contains `needle`.
    pub fn wait_for_output(&self, needle: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.output().contains(needle))
    }

    /// A full URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request; returns status and body (JSON, or a string).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let agent = agent();
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = match body {
            Some(b) => agent.run(
                req.header("content-type", "application/json")
                    .body(b.to_string())
                    .unwrap(),
            ),
            None => agent.run(req.body(()).unwrap()),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// Sends a request with `headers` and a raw `body`; returns the status, the
    /// response headers (lowercase names) and the body as text.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, Vec<(String, String)>, String) {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut resp = agent().run(req.body(body).unwrap()).unwrap();
        let hs = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        (resp.status().as_u16(), hs, text)
    }

    /// Logs in and returns the token.
    pub fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        );
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// The administrator's token.
    pub fn admin(&self) -> String {
        self.login("admin", ADMIN_PASSWORD)
    }

    /// Registers a user and returns their token.
    pub fn user(&self, name: &str) -> String {
        let (status, body) = self.call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({"username": name, "password": "password-123"})),
        );
        assert_eq!(status, 201, "{body}");
        self.login(name, "password-123")
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills it at once (SIGKILL), as a crash would.
    pub fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server gracefully (SIGTERM) and waits for it.
    pub fn stop(mut self) -> String {
        self.terminate();
        self.output()
    }

    fn terminate(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

/// An HTTP client that reads error statuses as answers (60 s at most a request).
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent()
}

/// Polls `f` until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Writes a plugin directory: its manifest and files.
pub fn plugin(root: &Path, name: &str, manifest: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = root.join("plugins").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("manifest.toml"), manifest).unwrap();
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}
