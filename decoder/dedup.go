package decoder

// Dedup keys come in two forms (docs/SCHEMA.md, "Dedup keys"):
//
//   - readable: "<vendor>" then ":<part>" for each part, every part escaped:
//     a byte outside [A-Za-z0-9@._*+-] (':' and '%' included) is written
//     "%XX", two upper-case hex digits, as in a URL, and a part that is
//     exactly "h" is written "%68";
//   - hashed: "<vendor>:h:<16 hex digits>", FNV-1a 64 of the parts, used
//     when the readable key would be longer than maxReadableKey bytes and
//     for events without an id.
//
// Why escaping: parts are vendor ids, and ids may contain ':' (WeCom room
// ids are "R:…"). Joined as they were, ("a:b", "c") and ("a", "b:c") gave
// one key, and the second event was dropped as a duplicate of the first.
// Escaped, a part never contains ':', so a key splits back into its parts,
// and the number of parts is fixed per dialect and form: two different
// events never share a readable key. "h" is escaped so that a readable key
// never starts like the hashed form. Ids made only of the bytes above, the
// common case, keep their old readable key.
//
// Every byte of a key is in [A-Za-z0-9@._:*+%-]: no JSON escaping (the key
// appears verbatim inside the canonical JSON, see Meta and wasm/ABI.md), and
// valid in Redis keys, NATS message ids and HTTP header values.
const maxReadableKey = 160

// keyPlain[c] reports whether byte c is written as it is inside a readable
// key's part. A table, not a chain of comparisons: this loop runs over every
// id byte of every message, and in the WebAssembly build a table lookup is
// much cheaper.
var keyPlain = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '@' || c == '.' || c == '_' || c == '-' || c == '*' || c == '+'
	}
	return t
}()

const hexUpper = "0123456789ABCDEF"

// dedupKey builds the key into the arena: readable if it fits in
// maxReadableKey bytes, hashed otherwise.
//
// One pass: the readable key is written, and replaced by the hashed one if
// it came out too long. The plain run of each part, usually all of it, is
// appended whole: a byte-by-byte append cost about 1,600 instructions per
// eyun text message (7% of its decode), most of it capacity checks.
func (d *Decoder) dedupKey(vendor string, parts ...string) string {
	start := len(d.arena)
	d.arena = append(d.arena, vendor...)
	for _, p := range parts {
		d.arena = append(d.arena, ':')
		if p == "h" {
			d.arena = append(d.arena, "%68"...)
			continue
		}
		for len(p) > 0 {
			n := plainKeyPrefix(p)
			d.arena = append(d.arena, p[:n]...)
			if n == len(p) {
				break
			}
			c := p[n]
			d.arena = append(d.arena, '%', hexUpper[c>>4], hexUpper[c&0xf])
			p = p[n+1:]
		}
	}
	if len(d.arena)-start > maxReadableKey {
		d.arena = d.arena[:start]
		return d.hashKey(vendor, parts...)
	}
	return bytesToString(d.arena[start:len(d.arena):len(d.arena)])
}

// plainKeyPrefix is the length of the longest prefix of p whose bytes are
// written as they are inside a readable key. Four table lookups per step,
// combined, instead of a branch per byte.
func plainKeyPrefix(p string) int {
	i := 0
	for ; i+4 <= len(p); i += 4 {
		if keyPlain8[p[i]]&keyPlain8[p[i+1]]&keyPlain8[p[i+2]]&keyPlain8[p[i+3]] == 0 {
			break
		}
	}
	for i < len(p) && keyPlain8[p[i]] != 0 {
		i++
	}
	return i
}

// keyPlain8 is keyPlain as bytes (1 for plain), for plainKeyPrefix's ANDs.
var keyPlain8 = func() (t [256]uint8) {
	for c, plain := range keyPlain {
		if plain {
			t[c] = 1
		}
	}
	return t
}()

// hashKey builds "<vendor>:h:<hash of parts>".
func (d *Decoder) hashKey(vendor string, parts ...string) string {
	start := len(d.arena)
	d.arena = append(d.arena, vendor...)
	d.arena = append(d.arena, ":h:"...)
	d.arena = appendHash(d.arena, parts)
	return bytesToString(d.arena[start:len(d.arena):len(d.arena)])
}

// appendHash appends FNV-1a 64 of the parts, as 16 lower-case hex digits.
//
// The hashed bytes are each part followed by a 0 byte, with the bytes 0 and
// 1 inside a part hashed as the pairs 1 2 and 1 1: no part's bytes then
// contain a 0, so the 0 bytes mark where the parts end and different parts
// always hash different byte strings ("a\x00", "b" and "a", "\x00b" used
// to be the same). Parts without those two bytes, all real ids and texts,
// hash exactly as they did before this escaping existed.
func appendHash(dst []byte, parts []string) []byte {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if c <= 1 {
				h ^= 1
				h *= prime64
				c = 2 - c // 0 -> 2, 1 -> 1
			}
			h ^= uint64(c)
			h *= prime64
		}
		h ^= 0 // the end of the part
		h *= prime64
	}
	const hexdig = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hexdig[(h>>uint(shift))&0xf])
	}
	return dst
}
