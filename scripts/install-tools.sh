#!/usr/bin/env bash
# Install the real copilot CLIs that tests/test_tools_real.py drives (issue 19), into places
# that belong to this checkout and are git-ignored. Safe to run again: a tool already installed
# at the pinned version is left alone, so CI machines keep the installs between runs.
#
#   aider       aider-chat 0.86.2 from PyPI, in its own virtual environment `.venv-aider`
#               (it pins hundreds of packages, litellm among them: they must not mix with
#               heedful's own venv).
#   codex       @openai/codex 0.171.0 from npm, under the project-local prefix `.tools/`
#               (`.tools/bin/codex`).
#   opencode    opencode-ai 1.18.33 from npm (its binary comes in a platform package from the
#               registry), under the same prefix (`.tools/bin/opencode`).
#
# None needs root. Usage: scripts/install-tools.sh [aider|codex|opencode]... (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."

AIDER_VERSION=0.86.2
CODEX_VERSION=0.171.0
OPENCODE_VERSION=1.18.33
PYTHON=${PYTHON:-python3}

install_aider() {
    if [ -x .venv-aider/bin/aider ] && \
       [ "$(.venv-aider/bin/python -c 'import importlib.metadata as m; print(m.version("aider-chat"))' 2>/dev/null)" = "$AIDER_VERSION" ]; then
        return 0
    fi
    "$PYTHON" -m venv .venv-aider
    .venv-aider/bin/python -m pip install --quiet --disable-pip-version-check "aider-chat==$AIDER_VERSION"
    echo "install-tools: aider $AIDER_VERSION in .venv-aider" >&2
}

install_codex() {
    if [ -x .tools/bin/codex ] && [ "$(.tools/bin/codex --version 2>/dev/null | awk '{print $NF}')" = "$CODEX_VERSION" ]; then
        return 0
    fi
    mkdir -p .tools
    npm install --global --prefix "$PWD/.tools" --no-audit --no-fund --loglevel=error "@openai/codex@$CODEX_VERSION"
    echo "install-tools: codex $CODEX_VERSION in .tools" >&2
}

install_opencode() {
    if [ -x .tools/bin/opencode ] && [ "$(.tools/bin/opencode --version 2>/dev/null)" = "$OPENCODE_VERSION" ]; then
        return 0
    fi
    mkdir -p .tools
    npm install --global --prefix "$PWD/.tools" --no-audit --no-fund --loglevel=error "opencode-ai@$OPENCODE_VERSION"
    echo "install-tools: opencode $OPENCODE_VERSION in .tools" >&2
}

tools=("$@")
if [ ${#tools[@]} -eq 0 ]; then
    tools=(aider codex opencode)
fi
for tool in "${tools[@]}"; do
    case "$tool" in
        aider) install_aider ;;
        codex) install_codex ;;
        opencode) install_opencode ;;
        *) echo "install-tools: unknown tool $tool (aider, codex, opencode)" >&2; exit 2 ;;
    esac
done
