package decoder

// Dedup keys are "<vendor>:<parts joined by ':'>" when every part is made of
// key-safe bytes, and "<vendor>:h:<16 hex digits>" (FNV-1a 64 of the parts)
// otherwise or when there is no id at all. Key-safe bytes need no JSON
// escaping, are valid in Redis keys, NATS message ids and HTTP headers, and
// keep keys readable in the common case.

const maxReadableKey = 160

// keySafe[c] reports whether byte c may appear in a readable key. A table,
// not a chain of comparisons: this loop runs over every id byte of every
// message, and in the WebAssembly build a table lookup is much cheaper.
var keySafe = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '@' || c == '.' || c == '_' || c == ':' || c == '-' || c == '*' || c == '+'
	}
	return t
}()

// dedupKey builds the key into the arena.
func (d *Decoder) dedupKey(vendor string, parts ...string) string {
	readable := len(vendor)
	for _, p := range parts {
		readable += 1 + len(p)
		for i := 0; i < len(p); i++ {
			if !keySafe[p[i]] {
				readable = maxReadableKey + 1
				break
			}
		}
	}
	start := len(d.arena)
	d.arena = append(d.arena, vendor...)
	if readable <= maxReadableKey {
		for _, p := range parts {
			d.arena = append(d.arena, ':')
			d.arena = append(d.arena, p...)
		}
	} else {
		d.arena = append(d.arena, ":h:"...)
		d.arena = appendHash(d.arena, parts)
	}
	return bytesToString(d.arena[start:len(d.arena):len(d.arena)])
}

// hashKey builds "<vendor>:h:<hash of parts>" for events without an id.
func (d *Decoder) hashKey(vendor string, parts ...string) string {
	start := len(d.arena)
	d.arena = append(d.arena, vendor...)
	d.arena = append(d.arena, ":h:"...)
	d.arena = appendHash(d.arena, parts)
	return bytesToString(d.arena[start:len(d.arena):len(d.arena)])
}

func appendHash(dst []byte, parts []string) []byte {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint64(p[i])
			h *= prime64
		}
		h ^= 0 // a separator, so ("ab","c") and ("a","bc") differ
		h *= prime64
	}
	const hexdig = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hexdig[(h>>uint(shift))&0xf])
	}
	return dst
}
