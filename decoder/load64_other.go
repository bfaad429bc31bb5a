//go:build !(amd64 || arm64 || wasm)

package decoder

// load64 returns the eight bytes of s at i (i+8 <= len(s)) as a
// little-endian word, byte by byte where unaligned loads may trap.
func load64(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// load32 returns the four bytes of s at i (i+4 <= len(s)) as a
// little-endian word.
func load32(s string, i int) uint32 {
	b := s[i : i+4]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
