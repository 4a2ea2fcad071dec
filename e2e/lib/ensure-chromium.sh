#!/usr/bin/env bash
# Installs Debian's chromium when missing: the dashboard's browser test drives it headless
# through playwright-core (executablePath /usr/bin/chromium). Root (or already installed).
set -euo pipefail
# shellcheck source=common.sh
source "$(cd "$(dirname "$0")" && pwd)/common.sh"

[ -x /usr/bin/chromium ] || apt_install chromium
