#!/usr/bin/env bash
# The test suite, from a fresh machine: installs what the tests run besides
# the Rust toolchain, then runs every test of the workspace.
#
#   bash scripts/test.sh            # any extra arguments go to `cargo test`
#
# Installs, only when missing: Prometheus and promtool, Debian's `prometheus`
# package (tests/prometheus_e2e.rs starts a real server on a loopback port;
# several tests check expositions with promtool). Its service is not
# started. Needs root or sudo for apt-get; elsewhere, install Prometheus
# 2.x yourself so that `prometheus` and `promtool` are on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! { command -v promtool && command -v prometheus; } >/dev/null 2>&1; then
  echo "scripts/test.sh: installing Debian's prometheus package (prometheus, promtool)" >&2
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: no apt-get here; install Prometheus 2.x (prometheus and promtool on PATH) and run again" >&2
    exit 1
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # The package starts its service where systemd runs; the tests need none.
  "${sudo[@]}" systemctl stop prometheus >/dev/null 2>&1 || true
fi
promtool --version | head -n 1

cargo test --workspace "$@"
