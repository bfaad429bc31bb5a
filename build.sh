#!/bin/sh
# build.sh builds wxhook's WebAssembly module (host/wxhook.wasm, committed and
# embedded by package host), the Envoy proxy-wasm filter
# (bin/wxhook-filter.wasm, from ./wasm/filter) and the wxhook binary
# (bin/wxhook).
#
#   ./build.sh                rebuild host/wxhook.wasm, bin/wxhook-filter.wasm,
#                             then bin/wxhook
#   ./build.sh --check        rebuild the module into a temp file and fail if it
#                             differs from the committed host/wxhook.wasm (CI)
#   ./build.sh --check-filter build the filter twice (the second time with an
#                             empty Go build cache) and fail unless both are
#                             byte-identical (reproducibility, CI)
#
# The module build is reproducible: fixed GOOS/GOARCH/GOWASM, no cgo, -trimpath,
# no build id, no VCS stamp, stripped, no PGO profile. Same Go version + same
# sources = same bytes. GOWASM=satconv,signext uses two WebAssembly 2.0
# features (non-trapping float-to-int, sign extension) that wazero, Node and
# workerd all support; it makes decoding 5-20% faster.
#
# The module is then pre-initialized (internal/preinit): its _initialize is
# run once here, under wazero with deterministic clocks and randomness, and
# the memory and globals it leaves become the module's initial state, so
# hosts start it without running the Go runtime's and the packages' init
# (the V8 start-up cost, docs/BENCHMARKS.md "Start-up"). To see the packages'
# init with GODEBUG=inittrace=1, build without it: build_raw below.
#
# The filter is pre-initialized the same way. Its proxy-wasm imports (module
# "env") exist only in Envoy, so at build time they are stubs that fail the
# build if _initialize calls one (preinit -trap env): its start-up must not
# depend on the host.
set -eu

cd "$(dirname "$0")"
MODULE=host/wxhook.wasm
FILTER=bin/wxhook-filter.wasm
VERSION=${WXHOOK_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}

build_raw() {
	env CGO_ENABLED=0 GOOS=wasip1 GOARCH=wasm GOWASM=satconv,signext GOFLAGS= \
		go build -buildmode=c-shared -trimpath -buildvcs=false -pgo=off \
		-ldflags="-s -w -buildid=" -o "$1" ./wasm
}

# preinit IN OUT [flags]: the pre-initialized copy of IN (internal/preinit).
preinit() {
	src=$1 dst=$2
	shift 2
	env GOOS= GOARCH= GOWASM= GOFLAGS= go run ./internal/preinit/cmd/preinit "$@" "$src" "$dst"
}

build_module() {
	raw=$(mktemp)
	build_raw "$raw"
	preinit "$raw" "$1" || { rm -f "$raw"; exit 1; }
	rm -f "$raw"
}

# The filter is built with exactly the module's flags (wasm/filter's tests
# build and pre-initialize it the same way).
build_filter_raw() {
	env CGO_ENABLED=0 GOOS=wasip1 GOARCH=wasm GOWASM=satconv,signext GOFLAGS= \
		go build -buildmode=c-shared -trimpath -buildvcs=false -pgo=off \
		-ldflags="-s -w -buildid=" -o "$1" ./wasm/filter
}

build_filter() {
	raw=$(mktemp)
	build_filter_raw "$raw"
	preinit "$raw" "$1" -trap env || { rm -f "$raw"; exit 1; }
	rm -f "$raw"
}

case "${1:-}" in
--check)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	build_module "$tmp/wxhook.wasm"
	if ! cmp -s "$tmp/wxhook.wasm" "$MODULE"; then
		echo "build.sh: $MODULE is stale: it differs from a fresh build of ./wasm" >&2
		echo "build.sh: (fresh $(wc -c <"$tmp/wxhook.wasm") bytes, committed $(wc -c <"$MODULE" 2>/dev/null || echo 0) bytes); run ./build.sh and commit $MODULE" >&2
		exit 1
	fi
	echo "build.sh: $MODULE is up to date ($(go env GOVERSION))"
	;;
--check-filter)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	build_filter "$tmp/a.wasm"
	# A second build from a clean cache, so the comparison is not between a
	# file and its cached copy (preinit itself is built from the usual cache).
	GOCACHE="$tmp/gocache" build_filter_raw "$tmp/b.raw"
	preinit "$tmp/b.raw" "$tmp/b.wasm" -trap env
	if ! cmp -s "$tmp/a.wasm" "$tmp/b.wasm"; then
		echo "build.sh: two builds of ./wasm/filter differ: the filter build is not reproducible" >&2
		exit 1
	fi
	echo "build.sh: ./wasm/filter builds reproducibly ($(wc -c <"$tmp/a.wasm") bytes, $(go env GOVERSION))"
	;;
"")
	build_module "$MODULE"
	raw=$(wc -c <"$MODULE")
	gz=$(gzip -9c "$MODULE" | wc -c)
	echo "build.sh: $MODULE $raw bytes, $gz bytes gzip -9"
	mkdir -p bin
	build_filter "$FILTER"
	echo "build.sh: $FILTER $(wc -c <"$FILTER") bytes, $(gzip -9c "$FILTER" | wc -c) bytes gzip -9"
	env CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=$VERSION" -o bin/wxhook ./cmd/wxhook
	echo "build.sh: bin/wxhook $VERSION"
	;;
*)
	echo "usage: build.sh [--check | --check-filter]" >&2
	exit 2
	;;
esac
