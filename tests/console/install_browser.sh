#!/bin/sh
# Installs Debian's chromium for the console's browser tests (tests/console), the
# project's setup step for them. Idempotent: does nothing when /usr/bin/chromium exists.
# Needs root (or sudo without a password) and Debian's package repositories.
#   sh tests/console/install_browser.sh        # exit 0: /usr/bin/chromium is there
set -eu

CHROMIUM=/usr/bin/chromium
TIMEOUT_SECONDS=${TRADECOVER_BROWSER_INSTALL_TIMEOUT:-600}

if [ -x "$CHROMIUM" ]; then
    echo "chromium already installed: $CHROMIUM"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "cannot install chromium: not root and no passwordless sudo" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "cannot install chromium: apt-get not found (not a Debian-like system)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO env DEBIAN_FRONTEND=noninteractive timeout "$TIMEOUT_SECONDS" apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive timeout "$TIMEOUT_SECONDS" \
    apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core

if [ ! -x "$CHROMIUM" ]; then
    echo "apt-get finished but $CHROMIUM is missing" >&2
    exit 1
fi
echo "installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
