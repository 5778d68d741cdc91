#!/usr/bin/env bash
# Where route-labels' instructions per request go: callgrind runs of the
# per_request benchmark (PER_REQUEST_ONLY mode) for route-labels and for bare
# actix-web, each with LOW and HIGH requests; per function, (HIGH - LOW) /
# (HIGH - LOW requests) for route-labels minus the same for bare. Functions
# inlined into others count where they were inlined.
#
#   bash scripts/instructions-by-function.sh        # 50 routes, bodies read
#   ROUTES=5 BODY=drop bash scripts/instructions-by-function.sh
#
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
LOW=${LOW:-2000}
HIGH=${HIGH:-12000}
ROUTES=${ROUTES:-50}
# `read` the response bodies to their end, or `drop` them unread.
BODY=${BODY:-read}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck source=lib/callgrind.sh
. scripts/lib/callgrind.sh
bench=$(bench_executable per_request)

# Per-function exclusive counts of one run, as "count<TAB>function".
functions() { # app requests
    PER_REQUEST_ONLY=$(per_request_only "$1" "$ROUTES" "$2" "$BODY") valgrind --tool=callgrind \
        --callgrind-out-file="$out/cg.$1.$2" "$bench" --bench >/dev/null 2>&1
    callgrind_annotate --threshold=100 "$out/cg.$1.$2" |
        sed -n 's/^ *\([0-9,]*\) ([^)]*) *\(.*\)$/\1\t\2/p' | grep -v 'PROGRAM TOTALS' |
        sed 's/^\([0-9,]*\)\t/\1\t/; s/ \[[^]]*\]$//' | awk -F'\t' '{ gsub(",", "", $1); print $1 "\t" $2 }'
}
for app in route-labels bare; do
    for n in "$LOW" "$HIGH"; do functions "$app" "$n" > "$out/$app.$n"; done
done
# Weights: route-labels HIGH +1, LOW -1; bare HIGH -1, LOW +1.
{
    sed 's/^/1\t/' "$out/route-labels.$HIGH"
    sed 's/^/-1\t/' "$out/route-labels.$LOW"
    sed 's/^/-1\t/' "$out/bare.$HIGH"
    sed 's/^/1\t/' "$out/bare.$LOW"
} | awk -F'\t' -v n=$((HIGH - LOW)) '
    { d[$3] += $1 * $2 / n }
    END {
        for (f in d) { total += d[f]; if (d[f] >= 3 || d[f] <= -3) printf "%8.1f  %s\n", d[f], f }
        printf "%8.1f  total\n", total
    }' | sort -rn
