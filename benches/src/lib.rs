//! Fixtures shared by the benchmarks: plugins loaded through the real
//! manager and runtime, and the native baselines they are compared with.
//!
//! The baseline for a script runtime is the model of the product RaisFast
//! replaces: an in-process interpreter created for each call, with the SDK's
//! host functions registered and the plugin loaded, then the handler called
//! and its result turned into JSON.

use raisfast::manager::PluginManager;
use raisfast::manifest::RuntimeKind;
use raisfast::runtime::{InstancePolicy, LoadedPlugin};
use raisfast::settings::Settings;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The payload of every benchmarked hook call: a content envelope of about 200 bytes.
pub const PAYLOAD: &str = r#"{"hook":"on_content_created","id":"0193f2a4-7c1e-7b3a-9d2e-5f6a7b8c9d0e","content_type":"post","body":{"id":"0193f2a4-7c1e-7b3a-9d2e-5f6a7b8c9d0e","title":"Hello","status":"draft"}}"#;

/// The tiny handler in each script language.
pub fn tiny_source(kind: RuntimeKind) -> (&'static str, &'static str) {
    match kind {
        RuntimeKind::Js => (
            "main.js",
            "import { logInfo } from 'sdk';\nexport function on_content_created(input) {\n  const data = JSON.parse(input);\n  logInfo('created: ' + data.id);\n}\n",
        ),
        RuntimeKind::Lua => (
            "init.lua",
            "local sdk = require('sdk')\nPlugin = {}\nPlugin.on_content_created = function(input)\n  local data = sdk.extractJson(input, 'body')\n  sdk.logInfo('created: ' .. tostring(data.id))\nend\n",
        ),
        RuntimeKind::Rhai => (
            "init.rhai",
            "fn on_content_created(input) {\n  log(\"info\", \"created: \" + input.id);\n}\n",
        ),
        RuntimeKind::Wasm => ("plugin.wasm", ""),
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A plugin manager in a scratch directory with one tiny plugin per runtime.
pub struct Fixture {
    _tmp: tempfile::TempDir,
    /// The manager.
    pub manager: PluginManager,
}

impl Fixture {
    /// Builds the Rust guest, installs the tiny plugins and loads them.
    pub fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let mut settings = Settings {
            data_dir: tmp.path().join("data"),
            plugin_dir: tmp.path().join("plugins"),
            ..Default::default()
        };
        settings.runtime.cache_dir = Some(root().join("target/bench-compile-cache"));
        for kind in [RuntimeKind::Js, RuntimeKind::Lua, RuntimeKind::Rhai] {
            let (entry, source) = tiny_source(kind);
            let dir = settings.plugin_dir.join(kind.as_str());
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(entry), source).unwrap();
            std::fs::write(dir.join("manifest.toml"), manifest(kind)).unwrap();
        }
        let wasm = raisfast::cli::build_plugin(
            &root().join("tests/plugins/tiny"),
            Some(&root().join("target/test-guests")),
            true,
        )
        .unwrap();
        let dir = settings.plugin_dir.join("rust");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(wasm, dir.join("plugin.wasm")).unwrap();
        std::fs::write(dir.join("manifest.toml"), manifest(RuntimeKind::Wasm)).unwrap();
        let manager = PluginManager::new(settings).unwrap();
        let report = manager.load_all();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        Fixture { _tmp: tmp, manager }
    }

    /// The loaded plugin of `kind`, with its normal policy (fresh for scripts, pooled for wasm).
    pub fn plugin(&self, kind: RuntimeKind) -> Arc<LoadedPlugin> {
        self.manager.plugin(&id(kind)).unwrap()
    }

    /// The same plugin with the other policy: one reused instance for a script,
    /// a fresh instance per call for wasm.
    pub fn other_policy(&self, kind: RuntimeKind) -> LoadedPlugin {
        let p = self.plugin(kind);
        let runtime = self.manager.runtime();
        let (entry, policy) = match kind {
            RuntimeKind::Wasm => ("plugin.wasm", InstancePolicy::Fresh),
            k => (tiny_source(k).0, InstancePolicy::Pooled(1)),
        };
        let wasm = match kind {
            RuntimeKind::Wasm => {
                std::fs::read(self.manager.entry(&id(kind)).unwrap().dir.join(entry)).unwrap()
            }
            k => {
                let (_, source) = tiny_source(k);
                let files = vec![(entry.to_string(), source.to_string())];
                runtime
                    .snapshot(k, Arc::clone(p.context()), entry, &files, p.limits())
                    .unwrap()
                    .wasm
            }
        };
        runtime
            .load(Arc::clone(p.context()), entry, &wasm, p.limits(), policy)
            .unwrap()
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

/// The id of the fixture plugin of `kind`.
pub fn id(kind: RuntimeKind) -> String {
    format!(
        "bench.{}",
        if kind == RuntimeKind::Wasm {
            "rust"
        } else {
            kind.as_str()
        }
    )
}

fn manifest(kind: RuntimeKind) -> String {
    format!(
        "[plugin]\nid = \"{}\"\nname = \"bench\"\nversion = \"0.1.0\"\nruntime = \"{}\"\n",
        id(kind),
        kind.as_str()
    )
}

/// The names of the SDK's host functions, registered by every native baseline.
pub const SDK_NAMES: [&str; 20] = [
    "dbQuery",
    "dbExecute",
    "httpGet",
    "httpPost",
    "vfsRead",
    "vfsWrite",
    "vfsList",
    "kvGet",
    "kvSet",
    "kvDelete",
    "configGet",
    "emit",
    "logInfo",
    "logWarn",
    "logError",
    "logDebug",
    "newId",
    "ok",
    "fail",
    "extractJson",
];

pub mod native;
