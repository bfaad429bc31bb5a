package decoder

import (
	"unicode/utf8"

	"github.com/mailru/easyjson/jwriter"
)

// writeString writes s as a JSON string, byte for byte as jwriter.Writer's
// String does, but scans eight bytes at a time for the bytes that need care
// (control bytes, '"', '\\', and non-ASCII bytes, which it then decodes as
// String does). easyjson's String looks at each byte through a table and
// decodes each rune of non-ASCII text with utf8.DecodeRuneInString; it was
// the largest single cost of writing a text event (14–20% of the
// instructions natively, and in the WebAssembly build, where every byte
// step is a few wasm instructions more).
//
// It is used by the custom MarshalEasyJSON methods of fieldsjson.go, which
// easyjson's generated code calls. When the writer escapes HTML (<, >, &,
// the zero value's default), it leaves the work to String.
func writeString(w *jwriter.Writer, s string) {
	if !w.NoEscapeHTML {
		w.String(s)
		return
	}
	writeStringAt(w, s, plainPrefix(s))
}

// writeStringAt is writeString for a writer that does not escape HTML, with
// i = plainPrefix(s) already known (the member writers of fieldsjson.go
// compute it to choose their one-step path).
func writeStringAt(w *jwriter.Writer, s string, i int) {
	b := w.Buffer.Buf
	if i == len(s) {
		// Nothing to escape, the common case: one append when the buffer
		// has room (its chunks are easyjson's; RawString handles a spill).
		if cap(b)-len(b) >= len(s)+2 {
			b = append(b, '"')
			b = append(b, s...)
			w.Buffer.Buf = append(b, '"')
			return
		}
		w.RawByte('"')
		w.RawString(s)
		w.RawByte('"')
		return
	}
	// Escaping writes at most six bytes per input byte (a control byte
	// becomes \u00XX, an invalid byte \ufffd). With room for that, the
	// string is escaped with plain appends into the buffer, which never
	// grow it; without (a long string near the end of a chunk), easyjson's
	// own String writes the same bytes and spills into a new chunk.
	if cap(b)-len(b) < 2+i+6*(len(s)-i) {
		w.String(s)
		return
	}
	w.Buffer.Buf = appendEscaped(b, s, i)
}

// appendEscaped appends s as a JSON string, s[:i] known to need no
// escaping. The caller has made room: the appends never grow b.
func appendEscaped(b []byte, s string, i int) []byte {
	b = append(b, '"')
	p := 0 // s[p:i] is pending: nothing in it needs escaping
	for i < len(s) {
		// The word loop: skip eight bytes when none needs a look.
		for i+8 <= len(s) && !wordNeedsLook(load64(s, i)) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[p:i]...)
			switch c {
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			case '\n':
				b = append(b, '\\', 'n')
			case '\\':
				b = append(b, '\\', '\\')
			case '"':
				b = append(b, '\\', '"')
			default:
				b = append(b, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&0xf])
			}
			i++
			p = i
			continue
		}
		// A common three-byte sequence (CJK, U+0800–U+FFFF without the
		// surrogates) other than U+2028 and U+2029 is kept without decoding.
		if n := len(s) - i; n >= 3 && c >= 0xe1 && c <= 0xec && c != 0xe2 &&
			s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[p:i]...)
			b = append(b, `\ufffd`...)
			i++
			p = i
			continue
		case r == '\u2028' || r == '\u2029':
			// JSONP line and paragraph separators, escaped as String does.
			b = append(b, s[p:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexLower[r&0xf])
			i += size
			p = i
			continue
		}
		i += size
	}
	b = append(b, s[p:]...)
	return append(b, '"')
}

const hexLower = "0123456789abcdef"

// plainPrefix returns the length of the longest prefix of s that JSON
// writes as it is (with HTML escaping off): no control byte, '"', '\\' or
// non-ASCII byte.
func plainPrefix(s string) int {
	// Most strings of an event are ids shorter than a word ("1000423",
	// "9325976"): two overlapping four-byte loads (or three bytes and
	// padding) answer for the whole string with one word test, where the
	// byte loop below would take a step per byte.
	switch n := len(s); {
	case n == 0:
		return 0
	case n < 4:
		const pad = 0x6161616161 << 24 // 'a', plain
		if !wordNeedsLook(uint64(s[0]) | uint64(s[n/2])<<8 | uint64(s[n-1])<<16 | pad) {
			return n
		}
	case n < 8:
		if !wordNeedsLook(uint64(load32(s, 0)) | uint64(load32(s, n-4))<<32) {
			return n
		}
	}
	i := 0
	for i+8 <= len(s) && !wordNeedsLook(load64(s, i)) {
		i += 8
	}
	if i < len(s) && i+8 > len(s) && len(s) >= 8 && !wordNeedsLook(load64(s, len(s)-8)) {
		return len(s) // the last eight bytes, overlapping the checked ones, are plain
	}
	for i < len(s) && s[i] >= 0x20 && s[i] < utf8.RuneSelf && s[i] != '"' && s[i] != '\\' {
		i++
	}
	return i
}

// wordNeedsLook reports whether any of the eight bytes of x is a control
// byte (< 0x20), '"', '\\' or non-ASCII (>= 0x80): the bytes JSON string
// writing must look at. The usual "has a zero byte" word tricks, exact for
// the question "any?" (not for which byte).
func wordNeedsLook(x uint64) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	ctrl := (x - ones*0x20) &^ x // a byte below 0x20
	q := x ^ ones*'"'
	quote := (q - ones) &^ q // a zero byte in q: a '"' in x
	b := x ^ ones*'\\'
	bslash := (b - ones) &^ b
	return (ctrl|quote|bslash|x)&highs != 0 // x: a non-ASCII byte
}
