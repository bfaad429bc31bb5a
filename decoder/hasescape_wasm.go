//go:build wasm

package decoder

// hasEscape reports whether the JSON string content b has a backslash. In
// the WebAssembly build bytes.IndexByte is a byte loop (no SIMD), so the
// search goes a word at a time.
func hasEscape(b []byte) bool { return hasEscapeWords(b) }
