//! Debian's wasi-libc laid out as a sysroot for clang-22.
//!
//! Debian ships the headers in `/usr/include/wasm32-wasi` and the libraries in
//! `/usr/lib/wasm32-wasi`, which is not the layout clang looks for: without an
//! explicit `--sysroot` it silently falls back to glibc's headers. Shared by the
//! host's build script (the script engines) and `raisfast plugin build` (C
//! plugins), so there is one layout.

use std::path::{Path, PathBuf};

/// Debian's wasi-libc headers.
const INCLUDE: &str = "/usr/include/wasm32-wasi";
/// Debian's wasi-libc libraries.
const LIB: &str = "/usr/lib/wasm32-wasi";

/// Lays out (once) and returns the sysroot under `work/sysroot`: `include/`
/// with the headers, `lib/wasm32-wasi/` with the libraries, and the
/// `wasm32-wasip1` and `wasm32-wasip2` names clang-22 looks for.
pub fn wasi_sysroot(work: &Path) -> Result<PathBuf, String> {
    let sysroot = work.join("sysroot");
    let include = Path::new(INCLUDE);
    let lib = Path::new(LIB);
    if !include.is_dir() || !lib.join("libc.a").is_file() {
        return Err(format!(
            "wasi-libc is not installed ({LIB}); run scripts/setup.sh or `apt-get install wasi-libc`"
        ));
    }
    if !sysroot.join("lib/wasm32-wasip2").exists() {
        let io = |e: std::io::Error| format!("laying out {}: {e}", sysroot.display());
        let _ = std::fs::remove_dir_all(&sysroot);
        copy_dir(include, &sysroot.join("include")).map_err(io)?;
        copy_dir(lib, &sysroot.join("lib/wasm32-wasi")).map_err(io)?;
        for alias in ["wasm32-wasip1", "wasm32-wasip2"] {
            std::os::unix::fs::symlink("wasm32-wasi", sysroot.join("lib").join(alias))
                .map_err(io)?;
        }
    }
    Ok(sysroot)
}

/// Copies a directory tree (symbolic links as links).
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &dest)?;
        } else if kind.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}
