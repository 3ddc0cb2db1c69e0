#!/usr/bin/env bash
# The browser the web client's tests drive (tests/e2e/test_web_client.py): Debian's chromium and chromium-driver,
# installed through apt-get when missing (as root, or with sudo). Part of `make test`, so a fresh machine needs
# nothing by hand; a machine already holding both does nothing here.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "the browser tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver" >&2
  exit 1
fi
echo "installing chromium and chromium-driver for the browser tests (apt-get) ..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
/usr/bin/chromium --version
