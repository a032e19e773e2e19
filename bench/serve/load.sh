#!/usr/bin/env bash
# Load benchmark of a running `chatrec serve` with wrk.
#
#   bench/serve/load.sh URL [DURATION]          e.g. bench/serve/load.sh http://127.0.0.1:8080 60s
#
# Runs, each for DURATION (default 60s), with THREADS wrk threads (default 2) and --latency:
#   - recommendations: GET /users/{id}/recommendations?n=10, the user rotating over 1..943
#     (recommend.lua), at each of REC_CONNECTIONS connections (default "64 256");
#   - chat turns: POST /conversations/{id}/turns (turn.lua) at each of TURN_CONNECTIONS
#     connections (default "64"), on a pool of 2 x connections conversations (CONVERSATIONS
#     overrides) created with curl just before the run (user ids rotating over 1..943) and
#     deleted after it; each conversation cycles "something like star wars", "older",
#     "a comedy", "not the first one".
# and prints one summary line per run, then markdown table rows for docs/benchmarks.md.
# Latency percentiles are wrk's own (the distribution --latency prints, unrounded, taken in
# the scripts' done()). wrk measures closed-loop: each connection waits for its answer, so
# these are latencies at the throughput reached, not at a fixed offered rate.
#
# Environment: CHATREC_KEY (sent as "Authorization: Bearer KEY" when set and not "none";
# needed when the server has read keys), THREADS, REC_CONNECTIONS, TURN_CONNECTIONS,
# CONVERSATIONS (REC_CONNECTIONS= or TURN_CONNECTIONS= set empty skips those runs), TIMEOUT (wrk's per-request timeout, default 10s), OUT (folder for wrk's raw
# outputs, default bench/out/serve-load).
#
# Exit status: 0 when every run had no error, 1 when any run had a non-2xx/3xx answer or a
# socket error (connect, read, write, timeout), 2 on a setup failure. Mind the server's rate
# limit: a 429 counts as an error, so benchmark with a limit above the offered load.
# Installs wrk (Debian package) with apt-get when it is missing. Only ever targets URL, which
# should be a server on this machine (127.0.0.1).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
URL="${1%/}"
DURATION="${2:-60s}"
THREADS="${THREADS:-2}"
REC_CONNECTIONS="${REC_CONNECTIONS-64 256}"
TURN_CONNECTIONS="${TURN_CONNECTIONS-64}"
TIMEOUT="${TIMEOUT:-10s}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
OUT="${OUT:-$root/bench/out/serve-load}"
export CHATREC_LUA_DIR="$here"   # where recommend.lua and turn.lua find summary.lua

die() { echo "load.sh: $*" >&2; exit 2; }

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (apt-get)"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get install -y -qq wrk >/dev/null 2>&1 \
        || { $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null; } \
        || die "could not install wrk"
fi
command -v curl >/dev/null 2>&1 || die "curl is needed"

curl_args=(-sS --max-time 30 -H "Accept: application/json")
if [ -n "${CHATREC_KEY:-}" ] && [ "${CHATREC_KEY}" != "none" ]; then
    curl_args+=(-H "Authorization: Bearer ${CHATREC_KEY}")
fi

status=$(curl "${curl_args[@]}" -o /dev/null -w '%{http_code}' "$URL/health/ready" || true)
[ "$status" = "200" ] || die "$URL/health/ready answered '$status', not 200: is the server up and ready?"

# One request first, so that a wrong key or a missing route stops here with the server's
# message instead of as thousands of non-2xx answers.
probe=$(curl "${curl_args[@]}" -w '\n%{http_code}' "$URL/users/1/recommendations?n=10" || true)
[ "$(tail -n1 <<<"$probe")" = "200" ] \
    || die "GET /users/1/recommendations: $(tr '\n' ' ' <<<"$probe" | cut -c1-300)"

mkdir -p "$OUT"
tmp=$(mktemp -d)
conversations_file="$tmp/conversations"
trap 'delete_conversations; rm -rf "$tmp"' EXIT

# create_conversations N: N new conversations, their ids one a line in $conversations_file.
create_conversations() {
    local n=$1 i body id
    : >"$conversations_file"
    for ((i = 0; i < n; i++)); do
        body=$(curl "${curl_args[@]}" -X POST -H "Content-Type: application/json" \
            -d "{\"user_id\":\"$((i % 943 + 1))\"}" -w '\n%{http_code}' "$URL/conversations") \
            || die "POST /conversations failed"
        [ "$(tail -n1 <<<"$body")" = "201" ] || die "POST /conversations: $(tr '\n' ' ' <<<"$body")"
        id=$(head -n -1 <<<"$body" | sed -n 's/.*"id"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n1)
        [ -n "$id" ] || die "POST /conversations: no id in $(head -n -1 <<<"$body")"
        echo "$id" >>"$conversations_file"
    done
}

delete_conversations() {
    [ -s "${conversations_file:-}" ] || return 0
    local id
    while read -r id; do
        curl "${curl_args[@]}" -o /dev/null -X DELETE "$URL/conversations/$id" || true
    done <"$conversations_file"
    : >"$conversations_file"
}

rows=()
failed=0

# run NAME CONNECTIONS SCRIPT [SCRIPT ARGS...]: one wrk run, its summary line and table row.
run() {
    local name=$1 conns=$2 script=$3
    shift 3
    local raw="$OUT/$name-c$conns.txt"
    echo
    echo "== $name: $conns connections, $THREADS threads, $DURATION"
    local wrk_args=(-t"$THREADS" -c"$conns" -d"$DURATION" --timeout "$TIMEOUT" --latency -s "$script" "$URL")
    [ $# -eq 0 ] || wrk_args+=(-- "$@")
    if ! wrk "${wrk_args[@]}" >"$raw" 2>&1; then
        cat "$raw" >&2
        die "wrk failed ($raw)"
    fi
    grep -v '^CHATREC_SUMMARY ' "$raw" | sed 's/^/    /' || true
    local summary
    summary=$(grep '^CHATREC_SUMMARY ' "$raw" | tail -n1) || die "no summary line in $raw"
    # key=value pairs -> one line: connections, req/s, p50, p99, errors; and a markdown row.
    local line
    line=$(awk -v name="$name" -v conns="$conns" -v threads="$THREADS" -v dur="$DURATION" '
        {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            rps = v["requests"] / (v["duration_us"] / 1e6)
            sock = v["connect"] + v["read"] + v["write"] + v["timeout"]
            printf "%s\t%d\t%.1f\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", name, conns, rps,
                v["p50_us"] / 1000, v["p99_us"] / 1000, v["status"], sock,
                v["connect"], v["read"], v["write"], v["timeout"], v["requests"]
        }' <<<"$summary")
    local rps p50 p99 non2xx sock connect read write timeout requests
    IFS=$'\t' read -r _ _ rps p50 p99 non2xx sock connect read write timeout requests <<<"$line"
    printf 'SUMMARY %-16s connections %4d  %10s req/s  p50 %8s ms  p99 %8s ms  non-2xx %d  socket errors %d (connect %d, read %d, write %d, timeout %d)  requests %d\n' \
        "$name" "$conns" "$rps" "$p50" "$p99" "$non2xx" "$sock" "$connect" "$read" "$write" "$timeout" "$requests"
    rows+=("| $name | $conns | $THREADS | $DURATION | $rps | $p50 | $p99 | $non2xx | $sock |")
    if [ "$requests" -eq 0 ] || [ "$non2xx" -ne 0 ] || [ "$sock" -ne 0 ]; then
        failed=1
    fi
}

for c in $REC_CONNECTIONS; do
    run recommendations "$c" "$here/recommend.lua"
done
for c in $TURN_CONNECTIONS; do
    n="${CONVERSATIONS:-$((2 * c))}"
    echo
    echo "creating $n conversations"
    create_conversations "$n"
    run chat-turns "$c" "$here/turn.lua" "$conversations_file" "$THREADS"
    delete_conversations
done

echo
echo "Rows for docs/benchmarks.md ($(date -u +%Y-%m-%d), $(nproc) cores, $URL):"
echo
echo "| endpoint | connections | wrk threads | duration | requests/s | p50 ms | p99 ms | non-2xx | socket errors |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"

if [ "$failed" -ne 0 ]; then
    echo
    echo "FAIL: some run had errors (non-2xx answers or socket errors) or no request at all; raw outputs in $OUT" >&2
    exit 1
fi
