//! C plugins: the `*.c` files beside `manifest.toml`, compiled with clang-22
//! for `wasm32-wasip1` (reactor) against Debian's wasi-libc, with the bindings
//! of the `plugin` world that wit-bindgen's C generator writes into `sdk/`
//! (`plugin.h`: the host API as C functions, the `exports_*` functions the
//! plugin defines; `plugin.c`: the canonical-ABI glue).

use super::component::write_c_bindings;
use super::run;
use super::sysroot::wasi_sysroot;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The C compiler: `RAISFAST_CC`, or clang-22 (which has the wasm32 target
/// and finds `wasm-ld`; `scripts/setup.sh` installs it).
fn compiler() -> String {
    std::env::var("RAISFAST_CC").unwrap_or_else(|_| "clang-22".into())
}

/// The plugin's own C sources: `*.c` beside `manifest.toml`, sorted.
pub fn sources(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c") && p.is_file())
        .collect();
    out.sort();
    Ok(out)
}

/// Compiles the plugin in `dir` into a core module; returns its bytes.
pub fn build(dir: &Path, work: &Path, release: bool) -> anyhow::Result<Vec<u8>> {
    let sdk = dir.join("sdk");
    write_c_bindings(&sdk)?;
    let sysroot = wasi_sysroot(work).map_err(|e| anyhow::anyhow!(e))?;
    let out = work.join("c").join("core.wasm");
    std::fs::create_dir_all(out.parent().unwrap_or(work))?;
    let cc = compiler();
    let mut cmd = Command::new(&cc);
    cmd.current_dir(dir)
        .arg("--target=wasm32-wasip1")
        .arg(format!("--sysroot={}", sysroot.display()))
        .arg("-mexec-model=reactor")
        .arg(if release { "-O2" } else { "-O0" })
        .args(["-Wall", "-Wno-unused-function", "-Isdk"])
        .args(sources(dir)?)
        .args(sources(&sdk)?)
        .arg("-o")
        .arg(&out);
    run(&mut cmd, &cc).map_err(|e| {
        anyhow::anyhow!("{e}; C plugins need clang-22, lld-22 and wasi-libc: run scripts/setup.sh")
    })?;
    Ok(std::fs::read(&out)?)
}
