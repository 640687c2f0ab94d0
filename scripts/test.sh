#!/usr/bin/env bash
# Sets up (see setup.sh) and runs the whole test suite: formatting, lints, unit,
# integration and documentation tests. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
