#!/bin/sh
# run.sh: the peers benchmark of issue 14 in one command. Checks that every
# implementation writes the golden event, then runs PASSES (9) interleaved
# passes of the Go benchmarks (wxhook native, go-json, sonic, wxhook under
# wazero) and the Node script (wxhook in V8, JSON.parse + fast-xml-parser
# peers), and prints the medians as a table. See README.md. Node runs with
# --no-liftoff: the module is compiled by TurboFan up front, the steady
# state of a long-running worker, rather than timed while V8 tiers it up.
#
#   bench/peers/run.sh                 # from anywhere
#   PASSES=3 BENCHTIME=100ms bench/peers/run.sh
#
# Raw outputs are kept in $OUT (default: a temp dir, printed at the end).
set -eu
cd "$(dirname "$0")"
PASSES=${PASSES:-9}
BENCHTIME=${BENCHTIME:-200ms}
JSTIME=${JSTIME:-200}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/wxhook-peers.XXXXXX")}
mkdir -p "$OUT"

[ -d js/node_modules ] || (cd js && npm ci --no-audit --no-fund >&2)

echo "checking outputs against testdata/golden" >&2
go test -count=1 -run 'TestPeers' . >&2
node --no-warnings js/bench.mjs --check >"$OUT/check.txt" || { cat "$OUT/check.txt" >&2; exit 1; }

go test -c -o "$OUT/peers.test" .
: >"$OUT/go.txt"
: >"$OUT/js.txt"
i=1
while [ "$i" -le "$PASSES" ]; do
	echo "pass $i/$PASSES" >&2
	"$OUT/peers.test" -test.run '^$' -test.bench '^BenchmarkPeers$' -test.benchtime "$BENCHTIME" \
		-test.benchmem >>"$OUT/go.txt"
	node --no-warnings --no-liftoff js/bench.mjs --time="$JSTIME" >>"$OUT/js.txt"
	i=$((i + 1))
done

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(go version | cut -d' ' -f3); node $(node --version)"
grep -E '^cpu:' "$OUT/go.txt" | head -1
node js/table.mjs "$OUT/go.txt" "$OUT/js.txt"
echo
echo "JS peers against the goldens:"
cat "$OUT/check.txt"
echo "raw outputs: $OUT" >&2
