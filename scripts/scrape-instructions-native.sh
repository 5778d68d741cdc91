#!/usr/bin/env bash
# Instructions per scrape of the request duration histograms, classic,
# native and both, in OpenMetrics text and in Prometheus' protobuf format,
# counted by callgrind (the cases of benches/native.rs: 100 and 2,000
# histogram series). The native benchmark in its NATIVE_SCRAPE_ONLY mode
# encodes one registry LOW and HIGH times; (instructions at HIGH - at LOW) /
# (HIGH - LOW) is one scrape. Counts do not depend on the machine's load.
#
#   bash scripts/scrape-instructions-native.sh     # 100 series
#   CASES="0 1" bash scripts/scrape-instructions-native.sh   # and 2,000 (slow:
#   the 40,000 requests that fill it run under callgrind too)
#
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
LOW=${LOW:-2}
HIGH=${HIGH:-7}
CASES=${CASES:-0}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck source=lib/callgrind.sh
. scripts/lib/callgrind.sh
bench=$(bench_executable native)

count() { # case mode format scrapes
    NATIVE_SCRAPE_ONLY="$1:$2:$3:$4" valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
        "$bench" --bench 2>&1 | awk '/Collected :/ {print $4}' | tail -n 1
}

echo "| histogram series | histograms | OpenMetrics text | protobuf |"
echo "|---:|---|---:|---:|"
for case in $CASES; do
    series=$([ "$case" = 0 ] && echo 100 || echo 2000)
    for mode in classic native both; do
        row="| $series | $mode |"
        for format in openmetrics protobuf; do
            low=$(count "$case" "$mode" "$format" "$LOW")
            high=$(count "$case" "$mode" "$format" "$HIGH")
            row="$row $(( (high - low) / (HIGH - LOW) )) |"
        done
        echo "$row"
    done
done
