//lint:file-ignore U1000 on the host build only the stubs of abi_other.go exist; the //go:wasmexport functions of abi_wasip1.go call this (staticcheck checks that build with GOOS=wasip1).

package proxywasm

import "unsafe"

// arena serves proxy_on_memory_allocate. The host asks the module for memory
// whenever it returns data (a header value, body bytes, the configuration);
// that memory is only read during the callback that asked for it, so the
// arena hands out consecutive pieces of one buffer and starts over at the
// next callback.
//
// A request that does not fit gets its own chunk, and the next reset grows
// the main buffer to what the last callback needed, so a steady load is
// served from the main buffer without touching the Go allocator inside
// proxy_on_memory_allocate.
type arena struct {
	buf   []byte
	used  int
	extra [][]byte // chunks of this callback that did not fit in buf
	need  int      // bytes asked for since the last reset
}

const arenaAlign = 8

func alignUp(n int) int { return (n + arenaAlign - 1) &^ (arenaAlign - 1) }

// alloc returns the linear-memory address of n fresh bytes, or 0 when n is
// beyond what the module agrees to hold.
func (a *arena) alloc(n int) uint32 {
	if n < 0 || n > maxAlloc {
		return 0
	}
	if len(a.buf) == 0 {
		a.buf = make([]byte, initialArena)
	}
	if n == 0 {
		return addr(&a.buf[0])
	}
	a.need += alignUp(n)
	if a.used+n <= len(a.buf) {
		p := &a.buf[a.used:len(a.buf)][0]
		a.used = min(a.used+alignUp(n), len(a.buf))
		return addr(p)
	}
	c := make([]byte, max(n, 1))
	a.extra = append(a.extra, c)
	return addr(&c[0])
}

// reset makes the whole arena available again; memory handed out before is
// no longer valid.
func (a *arena) reset() {
	if len(a.extra) > 0 {
		clear(a.extra)
		a.extra = a.extra[:0]
		if a.need > len(a.buf) {
			n := len(a.buf)
			for n < a.need {
				n *= 2
			}
			a.buf = make([]byte, min(n, maxAlloc+arenaAlign))
		}
	}
	a.used, a.need = 0, 0
}

// slice returns the n bytes at address p, which the host must have obtained
// from alloc since the last reset. Anything else is refused: the module
// never reads memory the host points at without having handed it out.
func (a *arena) slice(p, n uint32) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	if b, ok := within(a.buf, p, n); ok {
		return b, true
	}
	for _, c := range a.extra {
		if b, ok := within(c, p, n); ok {
			return b, true
		}
	}
	return nil, false
}

func within(b []byte, p, n uint32) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	base := addr(&b[0])
	if p < base || uint64(p-base)+uint64(n) > uint64(len(b)) {
		return nil, false
	}
	off := p - base
	return b[off : off+n : off+n], true
}

// addr is the linear-memory address of p (wasm32: pointers are offsets in
// the module's memory).
func addr(p *byte) uint32 { return uint32(uintptr(unsafe.Pointer(p))) }

const (
	initialArena = 64 << 10
	// maxAlloc bounds one allocation: a body is at most 16 MiB
	// (decoder.MaxInput); the host never needs more in one piece.
	maxAlloc = 32 << 20
)
