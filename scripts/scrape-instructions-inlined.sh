#!/usr/bin/env bash
# What the scrape gap to prometheus-client's `Family` is made of: runs
# scripts/scrape-instructions.sh against a copy of prometheus-client 0.26.0
# whose text-encoder helpers are `#[inline]`
# (scripts/prometheus-client-inline.patch, attributes only).
#
# Why: `MetricEncoder::encode_histogram` is generic, so it is compiled into
# the crate that calls it. `Family`'s histograms call it from inside
# prometheus-client, where its helpers are inlined; route-labels' collector
# calls it from route-labels, where they are calls into another crate. With
# the helpers inlinable, both copies are compiled alike. An experiment, not
# how route-labels builds: it builds a copy of this repository with
# `[patch.crates-io]` in its own target dir (minutes the first time).
#
#   bash scripts/scrape-instructions-inlined.sh
#
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo fetch --quiet
source=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -mindepth 2 -maxdepth 2 \
    -type d -name prometheus-client-0.26.0 | head -n 1)
[ -n "$source" ] || { echo "prometheus-client 0.26.0 is not in the cargo registry" >&2; exit 1; }
cp -r "$source" "$work/prometheus-client"
(cd "$work/prometheus-client" && git apply -p1 "$root/scripts/prometheus-client-inline.patch")

mkdir "$work/repo"
tar --exclude=./target --exclude=./.git -cf - . | tar -C "$work/repo" -xf -
printf '\n[patch.crates-io]\nprometheus-client = { path = "%s" }\n' "$work/prometheus-client" \
    >> "$work/repo/Cargo.toml"
cd "$work/repo"
CARGO_TARGET_DIR="$root/target/inlined" bash scripts/scrape-instructions.sh
