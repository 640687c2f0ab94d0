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
    /// TypeScript, `main.ts`: the JS runtime strips its types at load.
    Ts,
    /// Lua 5.4, `init.lua`.
    Lua,
    /// Rhai, `init.rhai`.
    Rhai,
    /// Rust, built into a WebAssembly component (`plugin.wasm`).
    Rust,
    /// C, built with clang-22 into a component (`plugin.wasm`).
    C,
    /// Zig, built into a component (`plugin.wasm`).
    Zig,
    /// Go (>= 1.27.1), built into a component (`plugin.wasm`).
    Go,
}

impl Language {
    /// Whether the plugin is built into a component (not a script).
    fn is_wasm(self) -> bool {
        matches!(
            self,
            Language::Rust | Language::C | Language::Zig | Language::Go
        )
    }
}

/// Arguments of `plugin new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Name of the plugin directory (lowercase letters, digits, hyphens).
    name: String,
    /// Its language.
    #[arg(long, value_enum, default_value = "js")]
    runtime: Language,
    /// With `--runtime js`: write TypeScript (`main.ts`), as `--runtime ts`.
    #[arg(long)]
    typescript: bool,
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
    let lang = match (args.runtime, args.typescript) {
        (Language::Js | Language::Ts, true) => Language::Ts,
        (other, true) => anyhow::bail!("--typescript goes with --runtime js, not {other:?}"),
        (other, false) => other,
    };
    let files = create(&dir, &args.name, &id, lang)?;
    println!("created {}", dir.display());
    for f in &files {
        println!("  {}", f.display());
    }
    if lang.is_wasm() {
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
        Language::Ts => (
            "js",
            vec![
                ("main.ts", TS.to_string()),
                ("sdk.d.ts", SDK_DTS.to_string()),
                ("tsconfig.json", TSCONFIG.to_string()),
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
        Language::C => (
            "wasm",
            vec![
                ("main.c", C.to_string()),
                (".gitignore", WASM_GITIGNORE.to_string()),
            ],
        ),
        Language::Zig => (
            "wasm",
            vec![
                ("main.zig", ZIG.to_string()),
                (".gitignore", WASM_GITIGNORE.to_string()),
            ],
        ),
        Language::Go => (
            "wasm",
            vec![
                ("go.mod", format!("module {name}\n\n{GO_MOD_TAIL}")),
                ("main.go", GO.replace("MODULE", name)),
                (".gitignore", WASM_GITIGNORE.to_string()),
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
            Language::Ts => "main.ts",
            Language::Lua => "init.lua",
            Language::Rhai => "init.rhai",
            Language::Rust | Language::C | Language::Zig | Language::Go => "plugin.wasm",
        }
    );
    let manifest = if lang.is_wasm() {
        // A component cannot be inspected for handlers before it is built: name them.
        format!("{manifest}\n[hooks.on_content_created]\n")
    } else {
        manifest
    };
    let mut written = Vec::new();
    std::fs::create_dir_all(dir)?;
    let readme = readme(name, id, lang);
    let files = [("manifest.toml", manifest), ("README.md", readme)]
        .into_iter()
        .chain(files);
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        written.push(path);
    }
    // The SDK of a C, Zig or Go plugin, so that editors see it before the
    // first build (each build writes it again).
    match lang {
        Language::C => crate::toolchain::component::write_c_bindings(&dir.join("sdk"))?,
        // Translating the C bindings needs Zig; without it, the first build
        // (which needs Zig anyway) writes the SDK.
        Language::Zig => {
            if let Err(e) = crate::toolchain::zig::write_sdk(dir) {
                eprintln!("warning: the SDK is written at the first build: {e}");
            }
        }
        Language::Go => crate::toolchain::go::write_sdk(dir)?,
        _ => {}
    }
    if !lang.is_wasm() {
        Manifest::load(dir)
            .map_err(|e| anyhow::anyhow!("template produced a bad manifest: {e}"))?;
    }
    Ok(written)
}

/// The new plugin's README: what is where, and the commands to try it.
fn readme(name: &str, id: &str, lang: Language) -> String {
    let (entry, build) = match lang {
        Language::Js => ("`main.js` (QuickJS)", None),
        Language::Ts => ("`main.ts` (TypeScript, stripped at load; QuickJS)", None),
        Language::Lua => ("`init.lua` (Lua 5.4)", None),
        Language::Rhai => ("`init.rhai` (Rhai)", None),
        Language::Rust => ("`src/lib.rs` (Rust, built to `plugin.wasm`)", Some("cargo")),
        Language::C => (
            "`main.c` (C; `sdk/plugin.h` is the host API)",
            Some("clang-22"),
        ),
        Language::Zig => (
            "`main.zig` (Zig; `sdk/raisfast.zig` is the SDK)",
            Some("Zig 0.17"),
        ),
        Language::Go => (
            "`main.go` (Go; `sdk/raisfast.go` is the SDK)",
            Some("Go >= 1.27.1"),
        ),
    };
    let build_step = match build {
        Some(tool) => {
            format!("raisfast plugin build {name}     # with {tool}: writes plugin.wasm\n")
        }
        None => String::new(),
    };
    format!(
        "# {name}\n\nA RaisFast plugin (`{id}`). Its handlers are in {entry}; `manifest.toml` declares\n\
         its permissions, hooks, routes and cron jobs.\n\n\
         ```sh\n{build_step}\
         raisfast plugin check {name}     # the manifest, the handlers, what it is granted\n\
         raisfast plugin call {name} on_content_created --payload '{{\"id\": 42}}'\n```\n\n\
         `plugin call` runs one hook in the real sandbox and prints what the plugin logged and\n\
         returned. Run the commands from the plugin directory's parent (the server's plugin\n\
         directory); the server loads the plugin on its next start, or at once with hot reload.\n"
    )
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
    "lib": ["es2023"],
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

const TS: &str = r#"import { logInfo, type Content, type Envelope } from 'sdk';

/** The hook's envelope arrives as JSON text. */
export function on_content_created(input: string): void {
  const data: Envelope<Content> = JSON.parse(input);
  logInfo(`new content: ${data.id}`);
}
"#;

const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "module": "es2022",
    "target": "es2023",
    "lib": ["es2023"],
    "moduleResolution": "bundler",
    "allowImportingTsExtensions": true,
    "strict": true,
    "noEmit": true
  },
  "include": ["**/*.ts"]
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

/// What a C, Zig or Go plugin's build writes, kept out of version control.
const WASM_GITIGNORE: &str = "/sdk\n/target\n/plugin.wasm\n";

/// The C template.
const C: &str = include_str!("templates/main.c");
/// The Zig template.
const ZIG: &str = include_str!("templates/main.zig");
/// The Go template (`MODULE` is the module's name).
const GO: &str = include_str!("templates/main.go");
/// A Go plugin's `go.mod` after its `module` line: the Go version the
/// bindings' runtime package asks for, and that package, which `raisfast
/// plugin build` writes into `sdk/go-pkg` (nothing is downloaded).
const GO_MOD_TAIL: &str = "go 1.27.1\n\nrequire go.bytecodealliance.org/pkg v0.4.0\n\n// Written by `raisfast plugin build` (the runtime of the generated bindings).\nreplace go.bytecodealliance.org/pkg => ./sdk/go-pkg\n";

const RUST: &str = r#"use raisfast_sdk::{HookResult, Input, Plugin, log};

struct MyPlugin;

impl Plugin for MyPlugin {
    // The names `handle` and `route` answer to: `plugin check` compares them
    // with the manifest.
    const HANDLERS: &'static [&'static str] = &["on_content_created"];

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
