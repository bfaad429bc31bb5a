package decoder

import "strconv"

// Strings built during a decode live in the Decoder's arena, which the next
// call reuses: building them allocates nothing.

// join concatenates parts into the arena (no allocation).
func (d *Decoder) join(parts ...string) string {
	start := len(d.arena)
	for _, p := range parts {
		d.arena = append(d.arena, p...)
	}
	return bytesToString(d.arena[start:len(d.arena):len(d.arena)])
}

// itoa formats n into the arena.
func (d *Decoder) itoa(n int64) string {
	start := len(d.arena)
	d.arena = strconv.AppendInt(d.arena, n, 10)
	return bytesToString(d.arena[start:len(d.arena):len(d.arena)])
}
