#!/usr/bin/env bash
# worker/bench/run.sh — end-to-end throughput of "wxhook serve" against a
# no-op net/http server, both on 127.0.0.1, driven by wrk in the same run.
#
#   worker/bench/run.sh            # 2 rounds of 10 s per scenario
#   DURATION=30s CONNS=64 ROUNDS=3 worker/bench/run.sh
#   SCENARIOS="noop-decode native-nodedup native-stdout" worker/bench/run.sh
#
# Scenarios (SCENARIOS, default "native-stdout native-file wasm-stdout"):
# native-stdout, native-file and wasm-stdout, plus two that split the
# worker's cost: noop-decode (the no-op server also decoding each body with
# the native decoder: the best a worker on this decoder can do) and
# native-nodedup (stdout, --dedup off: the dedup store's cost by difference);
# wasm-direct is wasm-stdout with --wasm-dispatch 0 (the guest runs on each
# request's goroutine instead of on the dispatcher's).
#
# Scenarios run in rounds (no-op, then each worker setup, again per round)
# and each worker figure is divided by the no-op figure of its own round,
# so a machine whose load drifts during the run (CI, shared hosts) skews the
# ratio less; the table shows the mean over rounds of requests/s and p99,
# and the median (with the lowest and highest) of the per-round ratios, so
# one disturbed round does not move the figure. It also shows the server
# process's CPU time per request (utime+stime from /proc), which other load
# on the machine does not inflate: its ratio is the worker's cost per
# request relative to the bare net/http server.
#
# PPROF=DIR also takes a CPU profile of each server while wrk drives it
# (wxhook serve --admin-pprof, noop -pprof; the middle of the run, DURATION
# minus 2 s; DURATION in seconds, "10s") into DIR/ROUND-SCENARIO.pprof: read
# it with "go tool pprof -top BINARY FILE", the binaries are left in DIR too.
#
# Needs wrk (Debian package "wrk"). Prints requests/s and p99 latency per
# scenario and the ratio to the no-op ceiling (targets: >= 0.8 native,
# >= 0.6 wasm). Every request is a new event (post.lua varies the id).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "run.sh: wrk not installed (apt-get install wrk)" >&2; exit 2; }

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
FIXTURE=${FIXTURE:-testdata/callbacks/eyun/seed_text_private.json}
ROUTE=${ROUTE:-/hook/eyun}
ID=${ID:-769189154845429899}
SCENARIOS=${SCENARIOS:-native-stdout native-file wasm-stdout}
PPROF=${PPROF:-}
if [ -n "$PPROF" ]; then
  case $DURATION in
  *[0-9]s) [ "${DURATION%s}" -ge 4 ] || { echo "run.sh: PPROF needs DURATION of 4s or more" >&2; exit 2; } ;;
  *) echo "run.sh: PPROF needs DURATION in seconds (10s)" >&2; exit 2 ;;
  esac
  mkdir -p "$PPROF"
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/wxhook" ./cmd/wxhook
go build -o "$tmp/noop" ./worker/bench/noop
[ -z "$PPROF" ] || cp "$tmp/wxhook" "$tmp/noop" "$PPROF/"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_up() {
  for _ in $(seq 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)

# run NAME URL PID [PPROF_URL]: appends "ROUND NAME RESULT… cpu_us=…" to
# $tmp/results; with PPROF set, profiles the server at PPROF_URL meanwhile.
run() {
  local name=$1 url=$2 pid=$3 purl=${4:-}
  curl -fsS -o /dev/null -X POST --data-binary @"$FIXTURE" "$url$ROUTE" || true # warm up
  if [ -n "$PPROF" ] && [ -n "$purl" ]; then
    (sleep 1; curl -fsS -o "$PPROF/$round-$name.pprof" "$purl/debug/pprof/profile?seconds=$((${DURATION%s} - 2))" ||
      echo "run.sh: no profile of $name" >&2) &
    prof_pid=$!
  fi
  local t0; t0=$(cputicks "$pid")
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s worker/bench/post.lua "$url" -- "$FIXTURE" "$ROUTE" "$ID" \
    >"$tmp/$name.out" 2>&1
  local t1; t1=$(cputicks "$pid")
  local line reqs
  line=$(grep '^RESULT' "$tmp/$name.out")
  reqs=$(sed -n 's/.*reqs=\([0-9]*\).*/\1/p' <<<"$line")
  line="$line cpu_us=$(awk -v a="$t0" -v b="$t1" -v n="$reqs" -v hz="$TCK" 'BEGIN { printf "%.1f", (b - a) * 1e6 / hz / (n > 0 ? n : 1) }')"
  echo "$round $name $line" >>"$tmp/results"
  echo "round $round $name: $line"
}

stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

# wait_profile waits for the profile taken by run (the background curl).
prof_pid=
wait_profile() { [ -z "$prof_pid" ] || wait "$prof_pid" 2>/dev/null || true; prof_pid=; }

# noop NAME [FLAGS…]: the no-op server (FLAGS: -decode)
noop() {
  local name=$1 p pp
  shift
  p=$(port); pp=$(port)
  "$tmp/noop" -addr "127.0.0.1:$p" ${PPROF:+-pprof "127.0.0.1:$pp"} "$@" & local pid=$!; pids+=($pid)
  wait_up "http://127.0.0.1:$p/"; run "$name" "http://127.0.0.1:$p" $pid "http://127.0.0.1:$pp"; wait_profile; stop $pid
}

# worker NAME ENGINE SINK [FLAGS…]: one worker scenario on a fresh data dir
worker() {
  local name=$1 engine=$2 sink=$3
  shift 3
  local p ap; p=$(port); ap=$(port)
  rm -rf "$tmp/data-$name"
  # An admin address of its own (the default 127.0.0.1:9090 may be taken):
  # /metrics, and the profiles with PPROF.
  "$tmp/wxhook" serve --insecure --addr "127.0.0.1:$p" --admin-addr "127.0.0.1:$ap" ${PPROF:+--admin-pprof} \
    --engine "$engine" --sink "$sink" "$@" \
    --data-dir "$tmp/data-$name" --log-level warn >/dev/null 2>"$tmp/$name.log" &
  local pid=$!; pids+=($pid)
  if ! wait_up "http://127.0.0.1:$p/healthz"; then
    echo "$name: did not start: $(tail -3 "$tmp/$name.log")"
    echo "$round $name unavailable" >>"$tmp/results"
    return
  fi
  run "$name" "http://127.0.0.1:$p" $pid "http://127.0.0.1:$ap"
  wait_profile
  # Every request must have been a new, accepted event: show any duplicate
  # or reject counted.
  curl -fsS "http://127.0.0.1:$ap/metrics" | grep -E '^wxhook_(duplicates|rejects)_total.* [1-9]' || true
  stop $pid
}

for round in $(seq "$ROUNDS"); do
  noop noop
  for sc in $SCENARIOS; do
    case $sc in
    noop-decode) noop noop-decode -decode ;;
    native-stdout) worker native-stdout native stdout ;;
    native-nodedup) worker native-nodedup native stdout --dedup off ;;
    native-file) worker native-file native "file:$tmp/events.ndjson" ;;
    wasm-stdout) worker wasm-stdout wasm stdout ;;
    wasm-direct) worker wasm-direct wasm stdout --wasm-dispatch 0 ;;
    *) echo "run.sh: unknown scenario $sc" >&2; exit 2 ;;
    esac
  done
  rm -f "$tmp/events.ndjson"
done

echo
echo "scenario          req/s   p99 ms   ratio (min–max)     cpu µs/req   cpu ratio (min–max)"
awk -v rounds="$ROUNDS" '
  function median(arr, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
  }
  { delete f; for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
  $3 == "unavailable" { if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }; next }
  { rps[$1, $2] = f["rps"]; cpu[$1, $2] = f["cpu_us"]
    sum[$2] += f["rps"]; p99[$2] += f["p99_ms"]; csum[$2] += f["cpu_us"]; cnt[$2]++
    if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
  END {
    for (i = 1; i <= n; i++) { k = order[i]
      if (cnt[k] == 0) { printf "%-15s %8s %8s   %s\n", k, "-", "-", "engine unavailable"; continue }
      m = 0; delete rr; delete cr
      for (r = 1; r <= rounds; r++) {
        if (rps[r, "noop"] > 0 && ((r, k) in rps) && cpu[r, k] > 0) { m++; rr[m] = rps[r, k] / rps[r, "noop"]; cr[m] = cpu[r, "noop"] / cpu[r, k] }
      }
      lo = hi = clo = chi = 0
      for (j = 1; j <= m; j++) {
        if (j == 1 || rr[j] < lo) lo = rr[j]; if (j == 1 || rr[j] > hi) hi = rr[j]
        if (j == 1 || cr[j] < clo) clo = cr[j]; if (j == 1 || cr[j] > chi) chi = cr[j]
      }
      printf "%-15s %8d %8.2f   %4.2f (%4.2f–%4.2f)   %10.1f   %4.2f (%4.2f–%4.2f)\n", k, sum[k] / cnt[k], p99[k] / cnt[k],
        (m ? median(rr, m) : 0), lo, hi, csum[k] / cnt[k], (m ? median(cr, m) : 0), clo, chi }
  }' "$tmp/results"
echo "(cpu ratio = no-op CPU per request / scenario CPU per request: the share of the bare server's throughput the worker keeps when CPU-bound)"
echo "(duration $DURATION, $CONNS connections, $THREADS wrk threads, fixture $FIXTURE; $(nproc) cores shared by wrk and the server)"
