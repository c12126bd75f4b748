#!/usr/bin/env bash
# The whole test suite, as the README's Quick start runs it: installs what the tests need
# (Debian's zookeeper, faketime, chromium, golang-go and mesos-go packages, when missing and we are root), type-checks, builds the WASM core
# and the binary, then runs every bun test (unit, core, simulation, cluster).
set -euo pipefail
cd "$(dirname "$0")/.."

# install_when_missing FILE PACKAGE PURPOSE: Debian's PACKAGE when FILE is absent (as root), else the command to run.
install_when_missing() {
  local file=$1 package=$2 purpose=$3
  [ -e "$file" ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's $package package for $purpose..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$package" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$package" >/dev/null; } \
      || echo "$package could not be installed: $purpose will fail or be left out"
  else
    echo "$file is missing; $purpose needs it. Install it with:"
    echo "  sudo apt-get update && sudo apt-get install -y $package"
  fi
}

install_when_missing /usr/share/zookeeper/bin/zkServer.sh zookeeper "the HA tests"
# libfaketime gives the chaos run's clock-jump faults (without it they are left out, and it says so).
install_when_missing /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 faketime "the chaos run's clock faults"
# Debian's Chromium runs the web UI's browser tests (driven by playwright-core, no browser download).
install_when_missing /usr/bin/chromium chromium "the web UI's browser tests"
# Go and Debian's mesos-go v1 client build a real mesos-go scheduler for the protobuf wire test.
install_when_missing /usr/bin/go golang-go "the mesos-go scheduler test"
install_when_missing /usr/share/gocode/src/github.com/mesos/mesos-go/api/v1 golang-github-mesos-mesos-go-dev "the mesos-go scheduler test"

npm run --silent typecheck
npm run --silent build
# Cluster tests start real processes and ZooKeeper; unit tests finish far below this bound.
exec node_modules/.bin/bun test --timeout 60000 "$@"
