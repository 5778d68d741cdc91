#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind rather than timed
# (issue 4: where a goal is missed, profile). `perf` needs hardware counters,
# which virtual machines often lack; callgrind counts on any x86 machine and
# is deterministic, so it also settles what timing noise cannot.
#
#   bash scripts/bench-profile.sh
#
# 1. Per app and route count: the per_request benchmark in its
#    PER_REQUEST_ONLY mode, run with LOW and HIGH requests; (instructions at
#    HIGH - at LOW) / (HIGH - LOW) is the app's instructions per request, and
#    minus bare's, its overhead.
# 2. Where route-labels' own instructions go: the record benchmark's
#    route-labels loop under callgrind, top functions by inclusive cost.
# Needs valgrind and jq (Debian: apt-get install valgrind jq). Outputs in
# target/bench/profile/.
set -euo pipefail
cd "$(dirname "$0")/.."
LOW=${LOW:-2000}
HIGH=${HIGH:-12000}
OUT=target/bench/profile
mkdir -p "$OUT"
for tool in valgrind jq; do command -v "$tool" >/dev/null || { echo "needs $tool"; exit 1; }; done

bench_binary() {
    cargo bench --bench "$1" --no-run --message-format=json 2>/dev/null |
        jq -r --arg name "$1" 'select(.reason == "compiler-artifact" and .target.name == $name) | .executable'
}
per_request=$(bench_binary per_request)
record=$(bench_binary record)

# Instructions of one run of the per_request benchmark in PER_REQUEST_ONLY mode.
instructions() {
    PER_REQUEST_ONLY="$1:$2:$3" valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$1.$2.$3" \
        "$per_request" --bench 2>&1 | awk '/Collected :/ {if ($4 > max) max = $4} END {print max}'
}

echo "Instructions per request (callgrind, ($HIGH - $LOW) requests)"
echo
echo "| routes | bare | route-labels | actix-web-prom | naive |"
echo "|---:|---:|---:|---:|---:|"
for routes in 5 50 500; do
    line="| $routes |"
    bare=""
    for app in bare route-labels actix-web-prom naive; do
        low=$(instructions "$app" "$routes" "$LOW")
        high=$(instructions "$app" "$routes" "$HIGH")
        per=$(( (high - low) / (HIGH - LOW) ))
        if [ -z "$bare" ]; then
            bare=$per
            line+=" $per |"
        else
            line+=" $per (+$(( per - bare ))) |"
        fi
    done
    echo "$line"
done

echo
echo "route-labels' middleware alone (record benchmark, one thread): inclusive instructions"
valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.record" \
    "$record" --bench --profile-time 1 'record-1-thread/route-labels' >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$OUT/cg.record" 2>/dev/null |
    grep -E 'route_labels|Instant|LocalKey|memcpy|Answer|map_body' | head -n 25
