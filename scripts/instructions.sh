#!/usr/bin/env bash
# Instructions per request over bare actix-web, counted by callgrind: the
# per_request benchmark in its PER_REQUEST_ONLY mode, run with LOW and HIGH
# requests to one app; (instructions at HIGH - at LOW) / (HIGH - LOW) is the
# app's instructions per request, and minus bare's, its overhead. Counts do
# not depend on the machine's load: run it anywhere, compare commits.
#
# Each route has a path parameter and answers a short in-memory body. BODIES
# says what is done with it: `read` to its end (as a server sends it), or
# `drop`ped unread (as `actix_web::test::call_service` leaves it).
#
#   bash scripts/instructions.sh            # 5 and 50 routes, both
#   ROUTES="5 50 500" BODIES=read bash scripts/instructions.sh
#
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
LOW=${LOW:-2000}
HIGH=${HIGH:-12000}
ROUTES=${ROUTES:-5 50}
BODIES=${BODIES:-read drop}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck source=lib/callgrind.sh
. scripts/lib/callgrind.sh
bench=$(bench_executable per_request)

count() { # app routes requests body
    PER_REQUEST_ONLY=$(per_request_only "$1" "$2" "$3" "$4") valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
        "$bench" --bench 2>&1 | awk '/Collected :/ {print $4}' | tail -n 1
}

echo "| body | routes | bare | route-labels | actix-web-prom | route-labels / actix-web-prom overhead |"
echo "|---|---:|---:|---:|---:|---:|"
for body in $BODIES; do
    for routes in $ROUTES; do
        declare -A per=()
        for app in bare route-labels actix-web-prom; do
            low=$(count "$app" "$routes" "$LOW" "$body")
            high=$(count "$app" "$routes" "$HIGH" "$body")
            per[$app]=$(( (high - low) / (HIGH - LOW) ))
        done
        rl=$(( per[route-labels] - per[bare] ))
        prom=$(( per[actix-web-prom] - per[bare] ))
        echo "| $body | $routes | ${per[bare]} | ${per[route-labels]} (+$rl) | ${per[actix-web-prom]} (+$prom) | $(awk -v a="$rl" -v b="$prom" 'BEGIN { printf "%.2f", a / b }') |"
    done
done
