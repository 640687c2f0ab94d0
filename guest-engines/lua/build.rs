//! Links the setjmp runtime and the emulated-signal library that Lua's C code
//! needs under WASI. The host's build script prepares them and names their
//! folder in RAISFAST_ENGINE_LIBS (kept apart from the libc folder, so that
//! Rust's own wasip2 libc is the one linked).

fn main() {
    println!("cargo:rerun-if-env-changed=RAISFAST_ENGINE_LIBS");
    if let Ok(dir) = std::env::var("RAISFAST_ENGINE_LIBS") {
        println!("cargo:rustc-link-search=native={dir}");
    }
}
