// Package floor measures what plain Go costs when compiled to WebAssembly and
// run by wazero, relative to the same Go run natively: a function call, a
// byte loop, bytes.IndexByte and copy. These ratios are the floor under the
// decoder's own wasm/native ratio (docs/BENCHMARKS.md): a decoder made of calls and
// byte loops cannot run closer to native than they do, and one that leans on
// IndexByte, which is SIMD natively and a byte loop in wasm, runs further.
//
// Run natively, then under wazero (its CLI from the pinned module):
//
//	go test ./wasm/floor -bench .
//	go install github.com/tetratelabs/wazero/cmd/wazero@v1.12.0
//	PATH=$PATH:$(go env GOPATH)/bin:$(go env GOROOT)/lib/wasm GOWASIRUNTIME=wazero \
//	  GOOS=wasip1 GOARCH=wasm GOWASM=satconv,signext go test ./wasm/floor -bench .
//
// The package has no code of its own; it holds only these benchmarks.
package floor
