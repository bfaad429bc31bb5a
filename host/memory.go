package host

import "github.com/tetratelabs/wazero/experimental"

// Linear memory for the module's instances.
//
// wazero's default grows a linear memory by appending to a Go slice: every
// memory.grow of the guest's Go runtime copies the whole memory and leaves
// the old one to the garbage collector. The first call on a large body
// grows memory many times, and paid for it (BenchmarkLargeBody/first-call:
// 52 ms with the default, 35 ms with this). memoryAllocator instead
// reserves address space for the instance's whole memory limit once where
// the platform allows (memory_linux.go), making pages usable as the guest
// grows, outside the Go heap; elsewhere it uses a slice whose capacity
// doubles.
//
// memoryAllocator serves one instance and keeps what it allocated, so that
// instance.close frees it even if wazero closed the module without freeing
// it (wazero frees lazily after its context watcher closed a module).
// wazero itself may free the memory when it closes the module mid-call
// (the guest exited, or was interrupted): the guest is then never resumed
// and the host reads nothing of a call that failed.
type memoryAllocator struct{ mem experimental.LinearMemory }

func (a *memoryAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	if m := reserve(max); m != nil {
		a.mem = m
	} else {
		a.mem = &sliceMemory{buf: make([]byte, 0, capacity), max: max}
	}
	return a.mem
}

// free releases the memory; it may already have been (Free is idempotent).
func (a *memoryAllocator) free() {
	if a.mem != nil {
		a.mem.Free()
	}
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

// Free drops the slice for the garbage collector.
func (m *sliceMemory) Free() { m.buf = nil }
