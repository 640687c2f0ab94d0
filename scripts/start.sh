#!/usr/bin/env bash
# Sets up (see setup.sh), builds RaisFast and the example plugins, checks them,
# then starts the server on the embedded SQLite database in ./data with the
# plugins of extensions/plugins (hot reload on). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p raisfast
bin=target/release/raisfast
$bin plugin build extensions/plugins
$bin plugin check extensions/plugins
exec $bin serve "$@"
