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
    let all: Vec<PathBuf> = sources(dir)?.into_iter().chain(sources(&sdk)?).collect();
    let clang = |cmd: &mut Command, inputs: &[PathBuf]| {
        cmd.current_dir(dir)
            .arg("--target=wasm32-wasip1")
            .arg(format!("--sysroot={}", sysroot.display()))
            .args(["-Wall", "-Wno-unused-function", "-Isdk"])
            .args(inputs);
    };
    // First, only the preprocessor, one source at a time: which files would
    // the build read?
    let allowed = [dir.to_path_buf(), sysroot.clone(), resource_dir(&cc)?];
    let deps = work.join("c").join("deps.d");
    for source in &all {
        let mut scan = Command::new(&cc);
        clang(&mut scan, std::slice::from_ref(source));
        scan.arg("-M").arg("-MF").arg(&deps);
        run(&mut scan, &cc).map_err(|e| {
            anyhow::anyhow!(
                "{e}; C plugins need clang-22, lld-22 and wasi-libc: run scripts/setup.sh"
            )
        })?;
        check_inputs(&std::fs::read_to_string(&deps)?, dir, &allowed)?;
    }
    let mut cmd = Command::new(&cc);
    clang(&mut cmd, &all);
    cmd.arg("-mexec-model=reactor")
        .arg(if release { "-O2" } else { "-O0" })
        .arg("-o")
        .arg(&out);
    run(&mut cmd, &cc).map_err(|e| {
        anyhow::anyhow!("{e}; C plugins need clang-22, lld-22 and wasi-libc: run scripts/setup.sh")
    })?;
    Ok(std::fs::read(&out)?)
}

/// Clang's own headers (`stddef.h`, `stdint.h`...).
fn resource_dir(cc: &str) -> anyhow::Result<PathBuf> {
    let out = Command::new(cc).arg("-print-resource-dir").output()?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Refuses a build that would read a file outside the plugin directory, the
/// WASI sysroot and clang's headers: an `#include` or `#embed` of an absolute
/// path (or `..`) would otherwise compile the operator's files into the plugin.
/// `deps` is the preprocessor's dependency list (`-M`), so macros and include
/// paths are resolved the way the compiler resolves them.
fn check_inputs(deps: &str, dir: &Path, allowed: &[PathBuf]) -> anyhow::Result<()> {
    let allowed: Vec<PathBuf> = allowed
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let text = deps.replace("\\\n", " ");
    let files = text
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(_, rest)| rest.to_string()))
        .flat_map(|rest| {
            rest.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        });
    let own = dir.canonicalize()?;
    for f in files {
        let path = dir.join(&f);
        let real = path.canonicalize().unwrap_or(path);
        if !allowed.iter().any(|a| real.starts_with(a)) {
            anyhow::bail!(
                "{f}: the build reads this file, outside the plugin directory and the SDK; `#include` and `#embed` may name only the plugin's own files"
            );
        }
        // The dependency list does not name the files `#embed` reads: the
        // plugin's own sources are read for them, and each must be a literal
        // path to a file of the plugin.
        if real.starts_with(&own) {
            check_embeds(&real, &own, &allowed)?;
        }
    }
    Ok(())
}

/// Refuses an `#embed` in `file` that is not a literal path to a file inside
/// the plugin directory (`own`).
fn check_embeds(file: &Path, own: &Path, allowed: &[PathBuf]) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let refuse = |what: &str| {
        anyhow::anyhow!(
            "{}: `#embed {what}` reads a file outside the plugin directory and the SDK, or one named by a macro; `#include` and `#embed` may name only the plugin's own files, literally",
            file.display()
        )
    };
    for line in text.replace("\\\n", "").lines() {
        let Some(rest) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        let Some(operand) = rest.trim_start().strip_prefix("embed") else {
            continue;
        };
        let operand = operand.trim();
        let Some(name) = operand
            .strip_prefix('"')
            .and_then(|r| r.split_once('"'))
            .map(|(n, _)| n)
        else {
            return Err(refuse(operand));
        };
        let base = file.parent().unwrap_or(own);
        let target = base.join(name);
        let real = target.canonicalize().unwrap_or(target);
        if !real.starts_with(own) || !allowed.iter().any(|a| real.starts_with(a)) {
            return Err(refuse(operand));
        }
    }
    Ok(())
}
