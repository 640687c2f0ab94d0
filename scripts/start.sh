#!/usr/bin/env bash
# Sets up (see setup.sh), builds RaisFast and the example plugins, checks the
# plugins, then runs the example plugins' hooks and routes through the real
# runtime with the embedded SQLite database in ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p raisfast
bin=target/release/raisfast
$bin plugin build extensions/plugins
$bin plugin check extensions/plugins
$bin --data-dir data plugin list
for lang in js lua rhai rust; do
    $bin --data-dir data plugin call com.raisfast.hello-$lang on_content_created --payload '{"id": "welcome", "title": "Welcome"}'
    $bin --data-dir data plugin call com.raisfast.hello-$lang hello --route --path /hello
done
