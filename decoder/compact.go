package decoder

import "unicode/utf8"

// appendCompact appends src, a JSON value the lexer accepted, with the white
// space between tokens removed, so that the raw payload kept in an unknown
// event stays on one line (the canonical output is NDJSON). Inside strings
// it replaces invalid UTF-8 with U+FFFD and escapes raw control characters,
// so the canonical JSON is valid JSON whatever the vendor sent.
func appendCompact(dst, src []byte) []byte {
	const hexdig = "0123456789abcdef"
	inString := false
	for i := 0; i < len(src); {
		c := src[i]
		if !inString {
			switch c {
			case ' ', '\t', '\n', '\r':
			case '"':
				inString = true
				dst = append(dst, c)
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		switch {
		case c == '"':
			inString = false
			dst = append(dst, c)
			i++
		case c == '\\':
			if i+1 < len(src) {
				dst = append(dst, c, src[i+1])
				i += 2
			} else {
				dst = append(dst, `\\`...)
				i++
			}
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexdig[c>>4], hexdig[c&0xf])
			i++
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, n := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, src[i:i+n]...)
			}
			i += n
		}
	}
	return dst
}
