package host

import (
	"sync/atomic"
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// mappedMemory is a linear memory in one anonymous mapping of its maximum
// size, reserved inaccessible (PROT_NONE: address space only, not charged
// against the commit limit even with strict overcommit) and made
// read-write page range by page range as the guest grows. It never moves
// and never copies; pages the guest never touched cost no RAM.
type mappedMemory struct {
	buf   []byte // the whole reservation
	rw    uint64 // length of the read-write prefix
	freed atomic.Bool
}

// reserve maps max bytes, or returns nil (the caller falls back to a slice).
func reserve(max uint64) experimental.LinearMemory {
	if max == 0 || max > 1<<32 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, int(max), syscall.PROT_NONE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return &mappedMemory{buf: b}
}

// Reallocate makes the first size bytes usable. Sizes are whole wasm pages
// (64 KiB), so the ranges are aligned to the system's pages. A nil result
// makes the guest's memory.grow fail, which the guest reports.
func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	if size > m.rw {
		if err := syscall.Mprotect(m.buf[m.rw:size], syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
			return nil
		}
		m.rw = size
	}
	return m.buf[:size:size]
}

// Free unmaps once: wazero and the host may both free an instance's memory.
func (m *mappedMemory) Free() {
	if m.freed.CompareAndSwap(false, true) {
		syscall.Munmap(m.buf)
	}
}
