#!/bin/sh
# build.sh builds wxhook's WebAssembly module (host/wxhook.wasm, committed and
# embedded by package host) and then the wxhook binary (bin/wxhook).
#
#   ./build.sh           rebuild host/wxhook.wasm, then bin/wxhook
#   ./build.sh --check   rebuild the module into a temp file and fail if it
#                        differs from the committed host/wxhook.wasm (CI)
#
# The module build is reproducible: fixed GOOS/GOARCH/GOWASM, no cgo, -trimpath,
# no build id, no VCS stamp, stripped, no PGO profile. Same Go version + same
# sources = same bytes. GOWASM=satconv,signext uses two WebAssembly 2.0
# features (non-trapping float-to-int, sign extension) that wazero, Node and
# workerd all support; it makes decoding 5-20% faster.
set -eu

cd "$(dirname "$0")"
MODULE=host/wxhook.wasm
VERSION=${WXHOOK_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}

build_module() {
	env CGO_ENABLED=0 GOOS=wasip1 GOARCH=wasm GOWASM=satconv,signext GOFLAGS= \
		go build -buildmode=c-shared -trimpath -buildvcs=false -pgo=off \
		-ldflags="-s -w -buildid=" -o "$1" ./wasm
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
"")
	build_module "$MODULE"
	raw=$(wc -c <"$MODULE")
	gz=$(gzip -9c "$MODULE" | wc -c)
	echo "build.sh: $MODULE $raw bytes, $gz bytes gzip -9"
	mkdir -p bin
	env CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=$VERSION" -o bin/wxhook ./cmd/wxhook
	echo "build.sh: bin/wxhook $VERSION"
	;;
*)
	echo "usage: build.sh [--check]" >&2
	exit 2
	;;
esac
