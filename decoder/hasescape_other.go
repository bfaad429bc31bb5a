//go:build !wasm

package decoder

import "bytes"

// hasEscape reports whether the JSON string content b has a backslash
// (bytes.IndexByte: SIMD on the native architectures).
func hasEscape(b []byte) bool { return bytes.IndexByte(b, '\\') >= 0 }
