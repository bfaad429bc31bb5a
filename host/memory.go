package host

import "github.com/tetratelabs/wazero/experimental"

// Linear memory for the module's instances.
//
// wazero's default grows a linear memory by appending to a Go slice: every
// memory.grow of the guest's Go runtime copies the whole memory and leaves
// the old one to the garbage collector. The first call on a large body
// grows memory many times, and paid about three times its decoding time
// for it. memoryAllocator instead reserves the instance's whole memory
// limit once where the platform allows (memory_linux.go: an anonymous
// mapping, committed by the kernel page by page as the guest touches it,
// outside the Go heap) and falls back to a slice that grows geometrically.
//
// Freeing a mapping while the guest runs would crash the process, so an
// instance's module is closed only when no call is running on it: after a
// call (discard), or by Close once every call has ended.
type memoryAllocator struct{}

func (memoryAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	if m := reserve(max); m != nil {
		return m
	}
	return &sliceMemory{buf: make([]byte, 0, capacity), max: max}
}

// sliceMemory is a linear memory in a Go slice whose capacity doubles.
type sliceMemory struct {
	buf []byte
	max uint64
}

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size > m.max {
		return nil
	}
	if size > uint64(cap(m.buf)) {
		c := 2 * uint64(cap(m.buf))
		if c < size {
			c = size
		}
		if c > m.max {
			c = m.max
		}
		b := make([]byte, size, c)
		copy(b, m.buf)
		m.buf = b
	}
	m.buf = m.buf[:size]
	return m.buf
}

func (m *sliceMemory) Free() { m.buf = nil }
