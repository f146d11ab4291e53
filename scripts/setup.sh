#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine with Node 20 (run as root, or with sudo
# for apt): the Debian packages when they are missing, then the npm dependencies.
# - ripgrep: OpenCode's glob/grep tools need `rg` (offline it cannot download its own);
# - chromium: the web dashboard's browser tests drive Debian's build headless (playwright-core);
# - bsdutils: `script`, which gives the terminal tests a pseudo-terminal.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing with apt: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
