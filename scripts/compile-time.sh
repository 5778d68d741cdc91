#!/usr/bin/env bash
# What `#[route_labels::register]` costs a user at compile time
# (docs/compile-time.md). About 12 minutes on two cores (20 with ROUNDS=9),
# of which 4 build the dependencies, once per profile.
#
#   bash scripts/compile-time.sh
#
# Generates, in a temporary directory removed on exit, one binary crate per
# variant with N handlers (`#[get("/rN/{id}")]`) over 10 modules, all mounted
# in one `App` wrapped in `HttpMetrics`; only the handlers' attributes differ:
#
#   A  plain actix-web attributes
#   B  `#[route_labels::register]` on every handler
#   C  what B generates, written by hand, without the `wrap` stamp: the
#      `RouteInfo` static in the linkme slice and the `Registered` impl
#   D  C plus the `wrap = "...Stamp::new(&R_N)"` that B adds to the attribute,
#      also by hand (so B - D is the macro's own run time)
#   Z  A without route-labels: no dependency on it, no `HttpMetrics`; only
#      when VARIANTS names it. Depending on route-labels turns on
#      actix-router's `unicode` feature in the proc macros' build, so that
#      actix-web's own `#[get]` checks each template with `regex` instead
#      of `regex-lite` (docs/compile-time.md); A - Z shows that cost.
#   B0 B, built against the route-labels of another checkout: only when
#      BASELINE is set, to compare a change with, say, the last commit in the
#      same interleaved rounds:
#
#        git worktree add /tmp/rl-base HEAD
#        BASELINE=/tmp/rl-base bash scripts/compile-time.sh
#
# Per profile, every variant is built once, then, ROUNDS times interleaved
# (A, B, C, D, A, B, ...), its sources are touched and it is rebuilt; the
# table gives the median rebuild time. Dependencies, route-labels included,
# build once per profile in a target directory shared by all variants.
# Profiles: dev (incremental: a touch recompiles no code, so this is the
# floor of an edit-and-rebuild), dev-full (dev without incremental: the
# crate compiled from scratch, as in CI) and release.
#
# Before each profile's timed rebuilds the script waits (up to WAIT seconds,
# 600) until no other rustc runs, then goes ahead with a warning; the load
# average is printed at the start, after each round and at the end.
#
# Environment: N (handlers, 200), ROUNDS (3), PROFILES ("dev dev-full
# release"), VARIANTS ("A B C D", then B0 if BASELINE is set), WAIT (600),
# BASELINE (unset). Needs crates.io, or its crates in ~/.cargo/registry.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-200}
ROUNDS=${ROUNDS:-3}
PROFILES=${PROFILES:-dev dev-full release}
BASELINE=${BASELINE:+$(cd "$BASELINE" && pwd)}
VARIANTS=${VARIANTS:-A B C D${BASELINE:+ B0}}
WAIT=${WAIT:-600}
MODULES=10
TIMEFORMAT='%U %S'

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export CARGO_TARGET_DIR="$TMP/target"

load_at_start=$(cat /proc/loadavg)
echo "load at start (/proc/loadavg): $load_at_start"
echo "rustc processes at start: $(pgrep -cx rustc || true)"
echo "nproc: $(nproc); $(rustc --version); $(cargo --version)"
echo "N=$N handlers, $MODULES modules, $ROUNDS rounds, profiles: $PROFILES, variants: $VARIANTS"
if [[ -n $BASELINE ]]; then echo "B0: B against the route-labels of $BASELINE"; fi
echo "generating in $TMP"

# The attributes (and hand-written items) above handler `h$n` in variant $1.
handler() {
    local variant=$1 n=$2
    local slice="#[route_labels::__private::linkme::distributed_slice(route_labels::__private::ROUTES)]
#[linkme(crate = route_labels::__private::linkme)]
#[doc(hidden)]
static R_$n: route_labels::__private::RouteInfo = route_labels::__private::RouteInfo::__new(
    Some(\"/r$n/{id}\"),
    &[\"GET\"],
    concat!(module_path!(), \"::h$n\"),
    file!(),
    line!(),
);
impl route_labels::Registered for h$n {
    const ROUTE: &'static route_labels::__private::RouteInfo = &R_$n;
}"
    case $variant in
        A | Z) echo "#[get(\"/r$n/{id}\")]" ;;
        B | B0) printf '%s\n' "#[route_labels::register]" "#[get(\"/r$n/{id}\")]" ;;
        C) printf '%s\n' "$slice" "#[get(\"/r$n/{id}\")]" ;;
        D) printf '%s\n' "$slice" \
            "#[get(\"/r$n/{id}\", wrap = \"route_labels::__private::Stamp::new(&R_$n)\")]" ;;
        *) echo "unknown variant $variant" >&2; exit 1 ;;
    esac
    cat <<EOF
pub async fn h$n(path: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(path.into_inner().to_string())
}

EOF
}

generate() {
    local variant=$1 dir="$TMP/$1" name m n runtime="$REPO/runtime" dep metrics=1
    name=ct-$(tr '[:upper:]' '[:lower:]' <<<"$variant")
    if [[ $variant == B0 ]]; then
        [[ -n $BASELINE ]] || { echo "variant B0 needs BASELINE" >&2; exit 1; }
        runtime="$BASELINE/runtime"
    fi
    dep="route-labels = { path = \"$runtime\" }"
    if [[ $variant == Z ]]; then dep="" metrics=""; fi
    mkdir -p "$dir/src"
    # Same requirements as the workspace's [workspace.dependencies], and the
    # workspace's lock file, so the versions are the workspace's.
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$name"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
$dep
actix-web = { version = "4.18", default-features = false, features = ["macros"] }
prometheus-client = "0.26"

[profile.dev-full]
inherits = "dev"
incremental = false

[workspace]
EOF
    if [[ -f $REPO/Cargo.lock ]]; then cp "$REPO/Cargo.lock" "$dir/"; fi
    {
        echo "use actix_web::{App, HttpServer};"
        if [[ -n $metrics ]]; then
            echo "use prometheus_client::registry::Registry;"
            echo "use route_labels::HttpMetrics;"
        fi
        echo
        for ((m = 0; m < MODULES; m++)); do echo "mod m$m;"; done
        echo
        echo "#[actix_web::main]"
        echo "async fn main() -> std::io::Result<()> {"
        if [[ -n $metrics ]]; then
            echo "    let mut registry = Registry::default();"
            echo "    let metrics = HttpMetrics::new(&mut registry).expect(\"metrics\");"
        fi
        echo "    HttpServer::new(move || {"
        echo "        App::new()"
        for ((n = 0; n < N; n++)); do echo "            .service(m$((n % MODULES))::h$n)"; done
        if [[ -n $metrics ]]; then echo "            .wrap(metrics.clone())"; fi
        echo "    })"
        echo "    .bind((\"127.0.0.1\", 8080))?"
        echo "    .run()"
        echo "    .await"
        echo "}"
    } >"$dir/src/main.rs"
    for ((m = 0; m < MODULES; m++)); do
        {
            echo "use actix_web::{HttpResponse, get, web};"
            echo
            for ((n = m; n < N; n += MODULES)); do handler "$variant" "$n"; done
        } >"$dir/src/m$m.rs"
    done
}

build() { (cd "$TMP/$1" && cargo build -q --profile "$2"); }

# The directory cargo puts a profile's artifacts in.
profile_dir() { case $1 in dev) echo debug ;; *) echo "$1" ;; esac; }

# Waits up to WAIT seconds for no rustc but ours (ours are done when called).
wait_for_quiet() {
    local waited=0
    while pgrep -x rustc >/dev/null && ((waited < WAIT)); do
        ((waited == 0)) && echo "  waiting for other rustc processes to finish (up to $WAIT s)"
        sleep 10
        waited=$((waited + 10))
    done
    if pgrep -x rustc >/dev/null; then
        echo "  warning: other rustc processes still run; timings will be noisy"
    fi
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

for v in $VARIANTS; do generate "$v"; done

for profile in $PROFILES; do
    echo
    echo "== $profile: warm builds (dependencies first)"
    for v in $VARIANTS; do
        start=$(date +%s.%N)
        build "$v" "$profile"
        echo "  $v built in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
    done
    wait_for_quiet
    echo "== $profile: rebuilds after touching src/*.rs (load $(cut -d' ' -f1-3 /proc/loadavg))"
    for ((round = 1; round <= ROUNDS; round++)); do
        line="  round $round:"
        for v in $VARIANTS; do
            touch "$TMP/$v"/src/*.rs
            # Wall clock, and the CPU time (user + sys) of cargo and rustc,
            # which other work on the machine disturbs less.
            start=$(date +%s.%N)
            { time build "$v" "$profile" 2>&3; } 3>&2 2>"$TMP/cpu"
            end=$(date +%s.%N)
            t=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}')
            cpu=$(awk '{printf "%.2f", $1 + $2}' "$TMP/cpu")
            echo "$t" >>"$TMP/time.$profile.$v"
            echo "$cpu" >>"$TMP/cputime.$profile.$v"
            line+=" $v $t s ($cpu s CPU)"
        done
        echo "$line (load $(cut -d' ' -f1-3 /proc/loadavg))"
    done
    for v in $VARIANTS; do
        median <"$TMP/time.$profile.$v" >"$TMP/median.$profile.$v"
        median <"$TMP/cputime.$profile.$v" >"$TMP/cpumedian.$profile.$v"
        bin="$CARGO_TARGET_DIR/$(profile_dir "$profile")/ct-$(tr '[:upper:]' '[:lower:]' <<<"$v")"
        stat -c %s "$bin" >"$TMP/size.$profile.$v"
    done
done

# LLVM IR of the release build: `cargo llvm-lines` if installed; otherwise
# the IR rustc emits before optimisation (-Cno-prepopulate-passes, one
# codegen unit), counted as lines and defined functions. After the timings:
# it rebuilds each crate with other flags.
ir=""
if [[ " $PROFILES " == *" release "* ]]; then
    if cargo llvm-lines --version >/dev/null 2>&1; then
        ir=llvm-lines
        for v in $VARIANTS; do
            (cd "$TMP/$v" && cargo llvm-lines --release 2>/dev/null) |
                awk '/\(TOTAL\)/ {print $1, $3; exit}' >"$TMP/ir.$v"
        done
    else
        ir=emit
        echo
        echo "cargo llvm-lines is not installed: counting rustc's unoptimised LLVM IR instead"
        for v in $VARIANTS; do
            crate=ct_$(tr '[:upper:]' '[:lower:]' <<<"$v")
            rm -f "$CARGO_TARGET_DIR/release/deps/$crate"-*.ll
            (cd "$TMP/$v" && cargo rustc -q --release -- \
                --emit=llvm-ir -Ccodegen-units=1 -Cno-prepopulate-passes)
            ll=$(ls "$CARGO_TARGET_DIR/release/deps/$crate"-*.ll)
            echo "$(wc -l <"$ll") $(grep -c '^define' "$ll")" >"$TMP/ir.$v"
        done
    fi
fi

load_at_end=$(cat /proc/loadavg)
echo
echo "load at start: $load_at_start"
echo "load at end:   $load_at_end"

# One table row: label, then the value of each variant from files
# $TMP/<kind>.<variant>, then each variant's ratio to the first.
row() {
    local label=$1 kind=$2 field=${3:-1} first="" v x cells="" ratios=""
    for v in $VARIANTS; do
        x=$(cut -d' ' -f"$field" "$TMP/$kind.$v")
        cells+=" $x |"
        if [[ -z $first ]]; then
            first=$x
        else
            ratios+=" $(awk -v a="$first" -v b="$x" 'BEGIN {printf "%.3f", b / a}') |"
        fi
    done
    echo "| $label |$cells$ratios"
}

read -ra variants <<<"$VARIANTS"
echo
header="| |"
rule="|---|"
for v in "${variants[@]}"; do header+=" $v |"; rule+="---:|"; done
for v in "${variants[@]:1}"; do header+=" $v/${variants[0]} |"; rule+="---:|"; done
echo "$header"
echo "$rule"
for profile in $PROFILES; do
    row "$profile rebuild, median of $ROUNDS (s)" "median.$profile"
    row "$profile rebuild CPU user+sys, median (s)" "cpumedian.$profile"
done
if [[ " $PROFILES " == *" release "* ]]; then
    row "release binary (bytes)" size.release
    case $ir in
        llvm-lines)
            row "release LLVM lines (cargo llvm-lines)" ir 1
            row "release copies (cargo llvm-lines)" ir 2
            ;;
        emit)
            row "release LLVM IR lines (unoptimised)" ir 1
            row "release LLVM IR functions defined" ir 2
            ;;
    esac
fi
