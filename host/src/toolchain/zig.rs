//! Zig plugins: `main.zig` beside `manifest.toml`, importing the SDK that the
//! build writes to `sdk/`: wit-bindgen's C bindings of the `plugin` world
//! (`plugin.h`, `plugin.c`), the same bindings made Zig by `zig translate-c`
//! (`plugin.zig`; Zig 0.17 has no `@cImport`), and the idiomatic layer over
//! them (`raisfast.zig`, from `sdk-zig/`). `zig build-exe` compiles
//! `main.zig` with `plugin.c` against Zig's wasi-libc for `wasm32-wasi`, as a
//! reactor.

use super::component::{ZIG_SDK, write_c_bindings, write_if_changed};
use std::path::Path;
use std::process::Command;

/// The Zig compiler: `RAISFAST_ZIG` (a command line), `zig` on the PATH, or
/// the `ziglang` package from PyPI (`python3 -m ziglang`).
fn compiler() -> Vec<String> {
    if let Ok(cmd) = std::env::var("RAISFAST_ZIG") {
        return cmd.split_whitespace().map(str::to_string).collect();
    }
    let on_path = Command::new("zig")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        vec!["zig".into()]
    } else {
        vec!["python3".into(), "-m".into(), "ziglang".into()]
    }
}

/// Runs the Zig compiler with `args` in `dir`; its standard output.
fn zig(dir: &Path, args: &[&str], what: &str) -> anyhow::Result<Vec<u8>> {
    let zig = compiler();
    let out = Command::new(&zig[0])
        .current_dir(dir)
        .args(&zig[1..])
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| anyhow::anyhow!("running {what}: {e}; {NEEDS}"))?;
    if !out.status.success() {
        anyhow::bail!("{what} failed ({}); {NEEDS}", out.status);
    }
    Ok(out.stdout)
}

/// What to install when Zig is missing.
const NEEDS: &str = "Zig plugins need Zig 0.17: `pip install ziglang==0.17.1` or scripts/setup.sh";

/// Writes the SDK into `dir/sdk/`: the C bindings, their translation to Zig
/// and the idiomatic layer.
pub fn write_sdk(dir: &Path) -> anyhow::Result<()> {
    let sdk = dir.join("sdk");
    write_c_bindings(&sdk)?;
    let zig_bindings = zig(
        dir,
        &[
            "translate-c",
            "sdk/plugin.h",
            "-target",
            "wasm32-wasi",
            "-lc",
        ],
        "zig translate-c",
    )?;
    write_if_changed(&sdk.join("plugin.zig"), &zig_bindings)?;
    write_if_changed(&sdk.join("raisfast.zig"), ZIG_SDK.as_bytes())?;
    Ok(())
}

/// Compiles the plugin in `dir` into a core module; returns its bytes.
pub fn build(dir: &Path, work: &Path, release: bool) -> anyhow::Result<Vec<u8>> {
    write_sdk(dir)?;
    let out = work.join("zig").join("core.wasm");
    std::fs::create_dir_all(work.join("zig"))?;
    let cache = work.join("zig-cache");
    let emit = format!("-femit-bin={}", out.display());
    let mut args = vec![
        "build-exe",
        "main.zig",
        "sdk/plugin.c",
        "sdk/plugin_component_type.c",
        "-Isdk",
        "-lc",
        "-target",
        "wasm32-wasi",
        "-mexec-model=reactor",
        "-O",
        if release { "ReleaseSmall" } else { "Debug" },
        "--cache-dir",
    ];
    let cache = cache.display().to_string();
    args.push(&cache);
    args.push(&emit);
    zig(dir, &args, "zig build-exe")?;
    Ok(std::fs::read(&out)?)
}
