//go:build amd64 || arm64 || wasm

package decoder

import "unsafe"

// load64 returns the eight bytes of s at i (i+8 <= len(s)) as a
// little-endian word, in one load: these architectures (and WebAssembly,
// whose i64.load takes any address) read unaligned words directly, where the
// wasm backend would not merge eight byte loads into one.
func load64(s string, i int) uint64 {
	return *(*uint64)(unsafe.Pointer(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i)))
}

// load32 returns the four bytes of s at i (i+4 <= len(s)) as a
// little-endian word, in one load.
func load32(s string, i int) uint32 {
	return *(*uint32)(unsafe.Pointer(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i)))
}
