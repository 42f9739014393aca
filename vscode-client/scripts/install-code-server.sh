#!/usr/bin/env bash
# Install code-server (VS Code in a browser) for the extension's end-to-end test, once, into a
# cache shared between runs; print the path of its `code-server` command on stdout.
#
#   bash vscode-client/scripts/install-code-server.sh        # installs if needed (a few minutes)
#   bash vscode-client/scripts/install-code-server.sh --check  # prints the path, or exits 1
#
# code-server 4.100.3 is the last release that runs on node 20 (newer ones need node 22+). Its npm
# install builds native modules (needs the Debian packages of scripts/install-test-deps.sh) and
# lets @vscode/ripgrep download rg from the internet, which is not reachable here: its download
# cache is pre-seeded with Debian's /usr/bin/rg instead, in a private TMPDIR.
#
# Cache: $HEEDFUL_VSCODE_CACHE, default ~/.cache/heedful-vscode (XDG_CACHE_HOME respected),
# one folder per code-server version; delete it to force a fresh install.
set -euo pipefail

VERSION=4.100.3
cache=${HEEDFUL_VSCODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/heedful-vscode}
target="$cache/code-server-$VERSION"
binary="$target/node_modules/.bin/code-server"
stamp="$target/.installed"

installed() { [ -f "$stamp" ] && [ -x "$binary" ]; }

if installed; then
    echo "$binary"
    exit 0
fi
if [ "${1:-}" = "--check" ]; then
    echo "install-code-server: code-server $VERSION is not installed in $target" >&2
    exit 1
fi

fail() { echo "install-code-server: $*" >&2; exit 2; }

command -v node >/dev/null 2>&1 || fail "node is not installed (code-server $VERSION needs node 20)"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" = 20 ] || fail "code-server $VERSION needs node 20, this is node $(node --version)"
for tool in npm make g++ pkg-config rg; do
    command -v "$tool" >/dev/null 2>&1 || \
        fail "$tool is missing: run \`bash scripts/install-test-deps.sh\` as root first"
done
for lib in libsecret-1 krb5-gssapi xkbfile x11; do
    pkg-config --exists "$lib" || \
        fail "the $lib headers are missing: run \`bash scripts/install-test-deps.sh\` as root first"
done

mkdir -p "$cache"
# one install at a time (two test runs may start together)
exec 9>"$cache/.lock"
flock 9
if installed; then
    echo "$binary"
    exit 0
fi

work=$(mktemp -d "$cache/.install-XXXXXX")
log="$work.log"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# @vscode/ripgrep's postinstall looks for $TMPDIR/vscode-ripgrep-cache-<its version>/<asset> before
# downloading. code-server asks for ^1.15.11: seed every release that range can resolve to.
tmp="$work/tmp"
mkdir -p "$tmp/rg"
cp "$(command -v rg)" "$tmp/rg/rg"
for pair in 1.15.11:v13.0.0-10 1.15.12:v13.0.0-10 1.15.13:v13.0.0-13 1.15.14:v13.0.0-13; do
    package_version=${pair%%:*} rg_version=${pair#*:}
    mkdir -p "$tmp/vscode-ripgrep-cache-$package_version"
    tar -czf "$tmp/vscode-ripgrep-cache-$package_version/ripgrep-$rg_version-x86_64-unknown-linux-musl.tar.gz" \
        -C "$tmp/rg" rg
done

export TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true npm_config_audit=false \
    npm_config_fund=false npm_config_update_notifier=false
# node-gyp would download node's headers; Debian's nodejs ships them under /usr/include/node
if [ -f /usr/include/node/node.h ]; then
    export npm_config_nodedir=/usr
fi
echo "install-code-server: installing code-server $VERSION into $target (a few minutes; log: $log)" >&2
started=$(date +%s)
if ! npm install --prefix "$work/prefix" --no-save --omit=dev --loglevel=error "code-server@$VERSION" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    fail "npm install code-server@$VERSION failed (log: $log)"
fi
[ -x "$work/prefix/node_modules/.bin/code-server" ] || fail "the install finished without a code-server command"
rg_bin=$(find "$work/prefix/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin" -name rg 2>/dev/null | head -n 1)
[ -n "$rg_bin" ] || fail "code-server installed without ripgrep (log: $log)"

rm -rf "$target"
mv "$work/prefix" "$target"
touch "$stamp"
rm -f "$log"
echo "install-code-server: installed in $(( $(date +%s) - started )) s" >&2
echo "$binary"
