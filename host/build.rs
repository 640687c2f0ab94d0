//! Builds the script engine components (`guest-engines/`: QuickJS, Lua, Rhai)
//! for wasm32-wasip2 and hands them to the host, which embeds them: one
//! `raisfast` binary is the whole product.
//!
//! The engines hold C code (QuickJS, Lua) compiled with clang-22 against
//! Debian's wasi-libc, which is not laid out as a sysroot and lacks the
//! setjmp/longjmp support Lua needs; this script lays out a sysroot and builds
//! that support (`guest-engines/lua/shim`). `scripts/setup.sh` installs the
//! Debian packages. The engines are built by a nested cargo with its own
//! target directory (`target/guest-engines`), so the outer build's lock is not
//! in the way and every profile shares one engine build.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "src/toolchain/sysroot.rs"]
mod sysroot;

const ENGINES: &[&str] = &["js", "lua", "rhai"];

fn main() {
    let host = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = host.parent().unwrap().to_path_buf();
    let engines = root.join("guest-engines");
    for p in ["Cargo.toml", "Cargo.lock", "common", "js", "lua", "rhai"] {
        println!("cargo:rerun-if-changed={}", engines.join(p).display());
    }
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    // The version of wit-bindgen-go, whose Go package is copied below.
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    println!("cargo:rerun-if-changed=src/toolchain/sysroot.rs");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let work = target_dir(&out).join("guest-engines");
    std::fs::create_dir_all(&work).unwrap();

    let clang = tool("clang-22");
    let ar = tool("llvm-ar-22");
    let sysroot = sysroot::wasi_sysroot(&work).unwrap_or_else(|e| panic!("{e}"));
    let libs = setjmp_libs(&work, &engines, &sysroot, &clang, &ar);

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--locked",
        "--target",
        "wasm32-wasip2",
    ])
    .arg("--manifest-path")
    .arg(engines.join("Cargo.toml"))
    .arg("--target-dir")
    .arg(&work)
    .env("CC_wasm32_wasip2", &clang)
    .env("AR_wasm32_wasip2", &ar)
    .env(
        "CFLAGS_wasm32_wasip2",
        format!("--sysroot={}", sysroot.display()),
    )
    .env("RQUICKJS_SYS_NO_WASI_SDK", "1")
    .env("RAISFAST_ENGINE_LIBS", &libs);
    // What the outer build set for itself must not leak into the guests' build.
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo for the script engines: {e}"));
    if !status.success() {
        panic!(
            "building the script engines (guest-engines/) failed ({status}); \
             scripts/setup.sh installs what they need (the wasm32-wasip2 target, clang-22, lld-22, \
             llvm-22, libclang-rt-22-dev-wasm32, wasi-libc)"
        );
    }
    go_bindings_runtime(&root, &out);

    let dest = out.join("engines");
    std::fs::create_dir_all(&dest).unwrap();
    for e in ENGINES {
        let built = work
            .join("wasm32-wasip2/release")
            .join(format!("raisfast_engine_{e}.wasm"));
        std::fs::copy(&built, dest.join(format!("{e}.wasm")))
            .unwrap_or_else(|err| panic!("{}: {err}", built.display()));
        // The engine's fingerprint, so that the server finds its compiled
        // engine and its snapshots without reading (and so paging in) the
        // engine's bytes at every start.
        let bytes = std::fs::read(&built).unwrap();
        std::fs::write(
            dest.join(format!("{e}.hash")),
            format!("{:016x}{:08x}", fnv1a(&bytes), bytes.len()),
        )
        .unwrap();
    }
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Copies the Go package that wit-bindgen-go's bindings import
/// (`go.bytecodealliance.org/pkg`: `wit/runtime`, `wit/types`), which ships
/// inside the wit-bindgen-go crate, to `OUT_DIR/go-pkg`: `raisfast plugin
/// build` writes it into a Go plugin's `sdk/go-pkg`, so Go never needs the
/// module proxy.
fn go_bindings_runtime(root: &Path, out: &Path) {
    let pkg = go_pkg_in_registry(root)
        .or_else(|| go_pkg_from_metadata(root))
        .expect("the wit-bindgen-go crate's Go package (src/pkg) is not among the dependencies");
    let dest = out.join("go-pkg");
    for file in [
        "go.mod",
        "LICENSE",
        "wit/runtime/runtime.go",
        "wit/runtime/empty.s",
        "wit/types/option.go",
        "wit/types/result.go",
        "wit/types/tuple.go",
        "wit/types/unit.go",
    ] {
        let to = dest.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(pkg.join(file), &to)
            .unwrap_or_else(|e| panic!("{}: {e}", pkg.join(file).display()));
    }
}

/// The crate's sources where cargo unpacks crates.io packages:
/// `$CARGO_HOME/registry/src/*/wit-bindgen-go-<version from Cargo.lock>`.
fn go_pkg_in_registry(root: &Path) -> Option<PathBuf> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).ok()?;
    let at = lock.find("name = \"wit-bindgen-go\"\nversion = \"")?;
    let rest = &lock[at..];
    let version = rest.split('"').nth(3)?;
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join(format!("wit-bindgen-go-{version}/src/pkg")))
        .find(|pkg| pkg.join("wit/runtime/runtime.go").is_file())
}

/// The crate's sources as cargo reports them (vendored or git sources).
fn go_pkg_from_metadata(root: &Path) -> Option<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let meta = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .output()
        .ok()
        .filter(|m| m.status.success())?;
    let text = String::from_utf8_lossy(&meta.stdout);
    let key = "\"manifest_path\":\"";
    text.match_indices(key)
        .filter_map(|(at, _)| {
            let rest = &text[at + key.len()..];
            let manifest = Path::new(&rest[..rest.find('"')?]);
            Some(manifest.parent()?.join("src/pkg"))
        })
        .find(|pkg| pkg.join("wit/runtime/runtime.go").is_file())
}

/// The outer build's target directory: the one holding `CACHEDIR.TAG`, or
/// (when cargo did not write one, because the directory existed before it
/// ran) the one `OUT_DIR` is in, four levels up (`target/<profile>/build/<pkg>/out`).
fn target_dir(out: &Path) -> PathBuf {
    out.ancestors()
        .find(|a| a.join("CACHEDIR.TAG").is_file())
        .or_else(|| out.ancestors().nth(4))
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out.to_path_buf())
}

fn tool(name: &str) -> String {
    match Command::new(name).arg("--version").output() {
        Ok(o) if o.status.success() => name.to_string(),
        _ => panic!(
            "`{name}` is not installed: the script engines compile C to WebAssembly with it. \
             Run scripts/setup.sh (it installs clang-22, lld-22, llvm-22, libclang-rt-22-dev-wasm32 and wasi-libc)"
        ),
    }
}

/// `libsetjmp.a` (our runtime for LLVM's wasm setjmp lowering) and a copy of
/// `libwasi-emulated-signal.a`, in a folder of their own.
fn setjmp_libs(work: &Path, engines: &Path, sysroot: &Path, clang: &str, ar: &str) -> PathBuf {
    let shim = engines.join("lua/shim");
    std::fs::copy(shim.join("setjmp.h"), sysroot.join("include/setjmp.h")).unwrap();
    let libs = work.join("libs");
    std::fs::create_dir_all(&libs).unwrap();
    let obj = libs.join("setjmp_rt.o");
    run(Command::new(clang)
        .args(["--target=wasm32-wasip1", "-O2", "-mexception-handling"])
        .args([
            "-mllvm",
            "-wasm-enable-sjlj",
            "-mllvm",
            "-wasm-use-legacy-eh=false",
        ])
        .arg(format!("--sysroot={}", sysroot.display()))
        .arg("-c")
        .arg(shim.join("setjmp_rt.c"))
        .arg("-o")
        .arg(&obj));
    let lib = libs.join("libsetjmp.a");
    let _ = std::fs::remove_file(&lib);
    run(Command::new(ar).arg("rcs").arg(&lib).arg(&obj));
    std::fs::copy(
        "/usr/lib/wasm32-wasi/libwasi-emulated-signal.a",
        libs.join("libwasi-emulated-signal.a"),
    )
    .unwrap();
    libs
}

fn run(cmd: &mut Command) {
    let status = cmd.status().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(status.success(), "{cmd:?} failed: {status}");
}
