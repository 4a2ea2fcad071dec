#!/usr/bin/env bash
# Installs the Lua interpreters that the Argo CD health-script tests run (e2e/gitops), when
# missing: lua5.4, and lua5.1 because Argo CD runs health scripts in gopher-lua, which speaks
# Lua 5.1, so the script must work there too. Debian packages; root (or already installed).
set -euo pipefail
# shellcheck source=common.sh
source "$(cd "$(dirname "$0")" && pwd)/common.sh"

missing=()
for lua in lua5.4 lua5.1; do
  command -v "$lua" >/dev/null || missing+=("$lua")
done
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
