package decoder

import (
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/mailru/easyjson/jlexer"
)

// val is one JSON value of a vendor callback, captured as its raw bytes: no
// copy, no conversion. Vendors disagree on types (ids as numbers or strings,
// timestamps as seconds or milliseconds, numbers in strings), so every wire
// field is read as a val and converted where its meaning is known. Capturing
// raw bytes is also what keeps decoding free of allocations: a string without
// escapes is used in place, one with escapes is unescaped into the Decoder's
// arena.
type val struct{ b []byte }

// UnmarshalEasyJSON captures the next value without interpreting it.
func (v *val) UnmarshalEasyJSON(l *jlexer.Lexer) { v.b = l.Raw() }

// IsDefined reports whether the field was present and not null.
func (v val) IsDefined() bool { return len(v.b) > 0 && !v.isNull() }

func (v val) isNull() bool { return string(v.b) == "null" }

func (v val) isString() bool { return len(v.b) >= 2 && v.b[0] == '"' }

func (v val) isArray() bool { return len(v.b) > 0 && v.b[0] == '[' }

// bytesToString views b as a string without copying. The caller guarantees
// b is not modified while the string is in use (input and arena are only
// rewritten by the next Decode, which is the documented lifetime).
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// stringToBytes views s as bytes without copying; the bytes must not be written.
func stringToBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// text returns v as a string: a JSON string's content (unescaped), the text of
// a number or boolean, "" for null or absent. ok is false for objects, arrays
// and strings with invalid escapes.
func (d *Decoder) text(v val) (s string, ok bool) {
	b := v.b
	switch {
	case len(b) == 0 || v.isNull():
		return "", true
	case b[0] == '"':
		inner := b[1 : len(b)-1]
		if !hasEscape(inner) {
			return bytesToString(inner), true
		}
		start := len(d.arena)
		out, ok := appendUnescaped(d.arena, inner)
		if !ok {
			return "", false
		}
		d.arena = out
		return bytesToString(d.arena[start:len(d.arena):len(d.arena)]), true
	case b[0] == '{' || b[0] == '[':
		return "", false
	}
	return bytesToString(b), true
}

// hasEscapeWords reports whether the JSON string content b has a
// backslash, eight bytes per step, the last word overlapping the one before.
// The WebAssembly build's hasEscape (hasescape_wasm.go): there
// bytes.IndexByte is a byte loop, and ids and texts are short.
func hasEscapeWords(b []byte) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
		bs    = ones * '\\'
	)
	s := bytesToString(b)
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' {
				return true
			}
		}
		return false
	}
	for i := 0; ; i += 8 {
		if i+8 > len(s) {
			i = len(s) - 8
		}
		x := load64(s, i) ^ bs // a zero byte where s has a backslash
		if (x-ones)&^x&highs != 0 {
			return true
		}
		if i+8 == len(s) {
			return false
		}
	}
}

// appendUnescaped appends the unescaped content of a JSON string (without its
// quotes) to dst. Lone surrogates become U+FFFD, as encoding/json does.
func appendUnescaped(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := i + 1
			for j < len(s) && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(s) {
			return dst, false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			dst = append(dst, s[i+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[i+2:])
			if !ok {
				return dst, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok2 := rune(-1), false
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, ok2 = hex4(s[i+2:])
				}
				if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, false
		}
		i += 2
	}
	return dst, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// digits returns the integer text of v, accepting a JSON number or a string
// holding one, without ever going through float64: eyun's ids exceed 2^53.
// ok is false when v is present but not an integer.
func (v val) digits() (s []byte, ok bool) {
	b := v.b
	if len(b) == 0 || v.isNull() {
		return nil, true
	}
	if b[0] == '"' {
		b = b[1 : len(b)-1]
		if len(b) == 0 {
			return nil, true
		}
	}
	i := 0
	if b[0] == '-' {
		i = 1
	}
	if i == len(b) {
		return nil, false
	}
	// Eight digits at a time: ids run to 19 digits.
	for ; i+8 <= len(b); i += 8 {
		if !allDigits(load64(bytesToString(b), i)) {
			return nil, false
		}
	}
	for _, c := range b[i:] {
		if c < '0' || c > '9' {
			return nil, false
		}
	}
	return b, true
}

// allDigits reports whether the eight bytes of x are all ASCII digits: each
// byte's high nibble is 3 and adding 6 to it does not carry into the high
// nibble (low nibble <= 9).
func allDigits(x uint64) bool {
	const (
		high = 0xf0f0f0f0f0f0f0f0
		x30  = 0x3030303030303030
		six  = 0x0606060606060606
	)
	return x&high == x30 && (x+six)&high == x30
}

// int returns v as an int64: a JSON integer, an integer in a string, or the
// integer part of a decimal ("3.0"). ok is false when v is present but not a
// number or out of range; an absent or null v gives 0, true.
func (v val) int() (int64, bool) {
	b := v.b
	if len(b) == 0 || v.isNull() {
		return 0, true
	}
	if b[0] == '"' {
		b = b[1 : len(b)-1]
		if len(b) == 0 {
			return 0, true
		}
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if n > (1<<63-1)/10 {
			return 0, false
		}
		n = n*10 + uint64(b[i]-'0')
		if n > 1<<63-1 {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	if i < len(b) {
		// Accept a fraction or exponent-free decimal tail ("3.0"), nothing else.
		if b[i] != '.' {
			return 0, false
		}
		for _, c := range b[i+1:] {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
	}
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}

// bool returns v as a boolean: true/false, "true"/"false", 1/0, "1"/"0".
func (v val) bool() (bool, bool) {
	switch string(v.b) {
	case "", "null", "false", `"false"`, "0", `"0"`, `""`:
		return false, true
	case "true", `"true"`, "1", `"1"`:
		return true, true
	}
	return false, false
}
