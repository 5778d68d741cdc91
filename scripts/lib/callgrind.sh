# Shared by the scripts that count instructions with callgrind: sourced, not
# run. Defines `bench_executable NAME`, which builds benches/NAME.rs in the
# bench profile and prints its executable, and `per_request_only APP ROUTES
# REQUESTS BODY`, the per_request benchmark's PER_REQUEST_ONLY value; checks
# that valgrind is here.
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }

bench_executable() {
    local executable
    executable=$(cargo bench --bench "$1" --no-run --message-format=json 2>/dev/null |
        sed -n "s/.*\"executable\":\"\([^\"]*$1[^\"]*\)\".*/\1/p" | tail -n 1)
    [ -x "$executable" ] || { echo "could not build benches/$1.rs" >&2; exit 1; }
    echo "$executable"
}

# BODY `read` (the benchmark's default) or `drop`.
per_request_only() {
    if [ "$4" = read ]; then echo "$1:$2:$3"; else echo "$1:$2:$3:$4"; fi
}
