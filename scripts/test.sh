#!/usr/bin/env bash
# The whole test suite, as the README's Quick start runs it: installs what the tests need
# (Debian's zookeeper, faketime and chromium packages, when missing and we are root), type-checks, builds the WASM core
# and the binary, then runs every bun test (unit, core, simulation, cluster).
set -euo pipefail
cd "$(dirname "$0")/.."

ZK_SERVER=/usr/share/zookeeper/bin/zkServer.sh
if [ ! -x "$ZK_SERVER" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's zookeeper package for the HA tests..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q zookeeper >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q zookeeper >/dev/null; }
  else
    echo "ZooKeeper is missing; the cluster tests need it. Install it with:"
    echo "  sudo apt-get update && sudo apt-get install -y zookeeper"
  fi
fi

# libfaketime gives the chaos run's clock-jump faults (without it they are left out, and it says so).
FAKETIME=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
if [ ! -e "$FAKETIME" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's faketime package for the chaos run's clock faults..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q faketime >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q faketime >/dev/null; } || echo "faketime could not be installed: the chaos run leaves clock faults out"
  else
    echo "libfaketime is missing; the chaos run leaves clock faults out. Install it with:"
    echo "  sudo apt-get install -y faketime"
  fi
fi

# Debian's Chromium runs the web UI's browser tests (driven by playwright-core, no browser download).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium package for the web UI's browser tests..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
  else
    echo "Chromium is missing; the web UI's browser tests need it. Install it with:"
    echo "  sudo apt-get update && sudo apt-get install -y chromium"
  fi
fi

npm run --silent typecheck
npm run --silent build
# Cluster tests start real processes and ZooKeeper; unit tests finish far below this bound.
exec node_modules/.bin/bun test --timeout 60000 "$@"
