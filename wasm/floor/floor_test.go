package floor

import (
	"bytes"
	"testing"
)

// add is kept out of line so that each iteration pays for a real call.
//
//go:noinline
func add(a, b int) int { return a + b }

var sink int

// BenchmarkCall is 1,000 calls of a small function.
func BenchmarkCall(b *testing.B) {
	s := 0
	for b.Loop() {
		for i := 0; i < 1000; i++ {
			s = add(s, i)
		}
	}
	sink = s
}

// text is 1 KiB of JSON-safe ASCII, the shape of a vendor's string values.
var text = bytes.Repeat([]byte("wxid_abc"), 128)

// BenchmarkByteLoop scans 1 KiB one byte at a time for bytes JSON escapes,
// as a JSON writer does.
func BenchmarkByteLoop(b *testing.B) {
	b.SetBytes(int64(len(text)))
	s := 0
	for b.Loop() {
		for _, c := range text {
			if c < 0x20 || c == '"' || c == '\\' {
				s++
			}
		}
	}
	sink = s
}

// BenchmarkIndexByte searches 1 KiB for a byte that is not there, as a
// JSON lexer does for the closing quote of a long string.
func BenchmarkIndexByte(b *testing.B) {
	b.SetBytes(int64(len(text)))
	s := 0
	for b.Loop() {
		s += bytes.IndexByte(text, '"')
	}
	sink = s
}

// BenchmarkCopy copies 1 KiB.
func BenchmarkCopy(b *testing.B) {
	dst := make([]byte, len(text))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		copy(dst, text)
	}
	sink = int(dst[0])
}
