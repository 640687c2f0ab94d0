//! `raisfast plugin new`: a working plugin from a template, in each runtime.

use super::GlobalArgs;
use crate::manifest::Manifest;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The language of a new plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Language {
    /// JavaScript (QuickJS), `main.js`.
    Js,
    /// Lua 5.4, `init.lua`.
    Lua,
    /// Rhai, `init.rhai`.
    Rhai,
    /// Rust, built into a WebAssembly component (`plugin.wasm`).
    Rust,
}

/// Arguments of `plugin new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Name of the plugin directory (lowercase letters, digits, hyphens).
    name: String,
    /// Its language.
    #[arg(long, value_enum, default_value = "js")]
    runtime: Language,
    /// Its id (default `com.example.NAME`).
    #[arg(long)]
    id: Option<String>,
}

/// Creates `<plugin_dir>/<name>` from the template.
pub fn new(global: &GlobalArgs, args: NewArgs) -> anyhow::Result<ExitCode> {
    let settings = global.settings()?;
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| format!("com.example.{}", args.name));
    let dir = settings.plugin_dir.join(&args.name);
    let files = create(&dir, &args.name, &id, args.runtime)?;
    println!("created {}", dir.display());
    for f in &files {
        println!("  {}", f.display());
    }
    if args.runtime == Language::Rust {
        println!("build it with: raisfast plugin build {}", dir.display());
    }
    println!(
        "try it with:   raisfast plugin call {} on_content_created --payload '{{\"id\": 1}}'",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes a new plugin into `dir` (which must not exist); returns the files written.
pub fn create(dir: &Path, name: &str, id: &str, lang: Language) -> anyhow::Result<Vec<PathBuf>> {
    crate::manifest::check_id(id).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_ok {
        anyhow::bail!("plugin name `{name}`: use lowercase letters, digits and hyphens");
    }
    if dir.exists() {
        anyhow::bail!("{} already exists", dir.display());
    }
    let (runtime, files): (&str, Vec<(&str, String)>) = match lang {
        Language::Js => (
            "js",
            vec![
                ("main.js", JS.to_string()),
                ("sdk.d.ts", SDK_DTS.to_string()),
                ("jsconfig.json", JSCONFIG.to_string()),
            ],
        ),
        Language::Lua => (
            "lua",
            vec![
                ("init.lua", LUA.to_string()),
                ("types/sdk.lua", SDK_LUA.to_string()),
                (".luarc.json", LUARC.to_string()),
            ],
        ),
        Language::Rhai => ("rhai", vec![("init.rhai", RHAI.to_string())]),
        Language::Rust => (
            "wasm",
            vec![
                ("Cargo.toml", rust_cargo_toml(name)),
                ("src/lib.rs", RUST.to_string()),
                (".gitignore", "/target\n/plugin.wasm\n".to_string()),
            ],
        ),
    };
    let manifest = format!(
        r#"[plugin]
id = "{id}"
name = "{name}"
version = "0.1.0"
runtime = "{runtime}"
entry = "{entry}"
description = "A new RaisFast plugin."

[permissions]
# database = ["read:content"]          # tables the plugin may read or write
# http = ["https://api.example.com"]   # hosts it may call
# filesystem = ["read", "write"]       # its own files
"#,
        entry = match lang {
            Language::Js => "main.js",
            Language::Lua => "init.lua",
            Language::Rhai => "init.rhai",
            Language::Rust => "plugin.wasm",
        }
    );
    let manifest = if lang == Language::Rust {
        // A component cannot be inspected for handlers before it is built: name them.
        format!("{manifest}\n[hooks.on_content_created]\n")
    } else {
        manifest
    };
    let mut written = Vec::new();
    std::fs::create_dir_all(dir)?;
    for (rel, text) in std::iter::once(("manifest.toml", manifest)).chain(files) {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        written.push(path);
    }
    if lang != Language::Rust {
        Manifest::load(dir)
            .map_err(|e| anyhow::anyhow!("template produced a bad manifest: {e}"))?;
    }
    Ok(written)
}

fn rust_cargo_toml(name: &str) -> String {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk-rust");
    let dep = match sdk.canonicalize() {
        Ok(p) => format!("raisfast-sdk = {{ path = {:?} }}", p.display().to_string()),
        Err(_) => format!("raisfast-sdk = \"{}\"", env!("CARGO_PKG_VERSION")),
    };
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"

[lib]
crate-type = ["cdylib"]

[dependencies]
{dep}

[profile.release]
opt-level = "s"
lto = true
strip = true

# Its own workspace, wherever it is created.
[workspace]
"#
    )
}

/// Type declarations of the JS SDK, for editors.
pub const SDK_DTS: &str = include_str!("../../../sdk-types/sdk.d.ts");
/// LuaLS annotations of the Lua SDK, for editors.
pub const SDK_LUA: &str = include_str!("../../../sdk-types/sdk.lua");

const JSCONFIG: &str = r#"{
  "compilerOptions": {
    "checkJs": true,
    "module": "es2022",
    "target": "es2022",
    "moduleResolution": "bundler",
    "noEmit": true
  },
  "include": ["**/*.js", "sdk.d.ts"]
}
"#;

const LUARC: &str = r#"{
  "runtime.version": "Lua 5.4",
  "workspace.library": ["types"],
  "diagnostics.globals": ["Plugin"]
}
"#;

const JS: &str = r#"// @ts-check
import { logInfo } from 'sdk';

/** @param {string} input the hook's envelope, as JSON text */
export function on_content_created(input) {
  /** @type {import('sdk').Envelope<import('sdk').Content>} */
  const data = JSON.parse(input);
  logInfo("new content: " + data.id);
}
"#;

const LUA: &str = r#"local sdk = require("sdk")

Plugin = {}

Plugin.on_content_created = function(input)
  local data = sdk.extractJson(input, "body")
  sdk.logInfo("new content: " .. tostring(data.id))
end
"#;

const RHAI: &str = r#"fn on_content_created(input) {
    log("info", "new content: " + input.id);
}
"#;

const RUST: &str = r#"use raisfast_sdk::{HookResult, Input, Plugin, log};

struct MyPlugin;

impl Plugin for MyPlugin {
    fn handle(hook: &str, input: Input) -> HookResult {
        if hook == "on_content_created" {
            let event = input.event::<raisfast_sdk::Value>()?;
            log::info(&format!("new content: {}", event.id_str()));
        }
        Ok(None)
    }
}

raisfast_sdk::export_plugin!(MyPlugin);
"#;
