#!/usr/bin/env bash
# Install replywatch with its test extras (and Debian's chromium for the
# end-to-end browser tests, when missing) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
python3 -m ruff check .
python3 -m ruff format --check .
# The layering contracts of pyproject.toml [tool.importlinter] (README "Layout").
python3 -c 'import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())' --no-cache
python3 -m pytest -q
