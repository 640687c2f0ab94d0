//! Zig plugins: `main.zig` beside `manifest.toml`, importing the SDK that the
//! build writes to `sdk/raisfast.zig` (canonical-ABI glue for the `plugin`
//! world, from `sdk-zig/`), compiled by `zig build-exe` for `wasm32-wasi`
//! without an entry point: a reactor exporting the guest functions.

use super::component::{ZIG_SDK, write_if_changed};
use super::run;
use std::path::Path;
use std::process::Command;

/// What the core module exports (the canonical-ABI names of `guest`).
const EXPORTS: &[&str] = &[
    "cabi_realloc",
    "raisfast:plugin/guest@0.1.0#handle",
    "raisfast:plugin/guest@0.1.0#route",
    "cabi_post_raisfast:plugin/guest@0.1.0#handle",
    "cabi_post_raisfast:plugin/guest@0.1.0#route",
];

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

/// Writes the SDK into `dir/sdk/raisfast.zig`.
pub fn write_sdk(dir: &Path) -> std::io::Result<()> {
    write_if_changed(&dir.join("sdk").join("raisfast.zig"), ZIG_SDK.as_bytes())
}

/// Compiles the plugin in `dir` into a core module; returns its bytes.
pub fn build(dir: &Path, work: &Path, release: bool) -> anyhow::Result<Vec<u8>> {
    write_sdk(dir)?;
    let out = work.join("zig").join("core.wasm");
    std::fs::create_dir_all(work.join("zig"))?;
    let zig = compiler();
    let mut cmd = Command::new(&zig[0]);
    cmd.current_dir(dir)
        .args(&zig[1..])
        .args([
            "build-exe",
            "main.zig",
            "-target",
            "wasm32-wasi",
            "-fno-entry",
        ])
        .args(["-O", if release { "ReleaseSmall" } else { "Debug" }])
        .args(EXPORTS.iter().map(|e| format!("--export={e}")))
        .arg("--cache-dir")
        .arg(work.join("zig-cache"))
        .arg(format!("-femit-bin={}", out.display()));
    run(&mut cmd, "zig build-exe").map_err(|e| {
        anyhow::anyhow!(
            "{e}; Zig plugins need Zig 0.17: `pip install ziglang==0.17.1` or scripts/setup.sh"
        )
    })?;
    Ok(std::fs::read(&out)?)
}
