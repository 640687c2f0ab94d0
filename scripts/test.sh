#!/usr/bin/env bash
# Sets up (see setup.sh) and runs the whole test suite: formatting, lints, unit,
# integration and documentation tests. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The tests also build a plugin with `cargo component`, as Rust authors may.
rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
command -v cargo-component >/dev/null 2>&1 || cargo install --locked cargo-component@0.21.1
cargo fmt --all -- --check
(cd guest-engines && cargo fmt --all -- --check)
# Linting the host builds the script engines (host/build.rs), which lays out the
# wasm sysroot in target/guest-engines; the engines are then linted against it.
cargo clippy --workspace --all-targets --locked -- -D warnings
engines=target/guest-engines
(cd guest-engines && \
    CC_wasm32_wasip2=clang-22 AR_wasm32_wasip2=llvm-ar-22 RQUICKJS_SYS_NO_WASI_SDK=1 \
    CFLAGS_wasm32_wasip2="--sysroot=$PWD/../$engines/sysroot" \
    RAISFAST_ENGINE_LIBS="$PWD/../$engines/libs" \
    cargo clippy --release --locked --target wasm32-wasip2 --target-dir "../$engines" -- -D warnings)
# Schemathesis checks the OpenAPI document against the real server
# (tests/all/api_contract.rs); it lives in a virtualenv under target/ (made after
# cargo has made target/ itself).
venv=target/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q 4.32.5; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5
fi
cargo test --workspace --locked
