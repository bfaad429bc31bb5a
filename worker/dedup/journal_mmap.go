//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package dedup

import (
	"os"
	"syscall"
)

// journal is the commit journal as a shared memory mapping of its file: an
// append is a copy into the page cache, with no system call, and is on the
// file as soon as it is copied — a crash or kill -9 of the process loses
// nothing (only a power failure can lose what bbolt does not have yet).
type journal struct {
	f   *os.File
	m   []byte // the mapping: the whole file
	off int    // end of the records
}

const journalInitial = 4 << 20

// openJournal maps path (creating it) and returns its current content.
func openJournal(path string) (*journal, []byte, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	// off covers the whole old content, so the first reset (after the
	// caller has read it) zeroes all of it, torn records included.
	j := &journal{f: f, off: int(st.Size())}
	size := max(int(st.Size()), journalInitial)
	if err := j.remap(size); err != nil {
		f.Close()
		return nil, nil, err
	}
	old := make([]byte, st.Size())
	copy(old, j.m)
	return j, old, nil
}

func (j *journal) remap(size int) error {
	if j.m != nil {
		if err := syscall.Munmap(j.m); err != nil {
			return err
		}
		j.m = nil
	}
	if err := j.f.Truncate(int64(size)); err != nil {
		return err
	}
	m, err := syscall.Mmap(int(j.f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	j.m = m
	return nil
}

// append adds one record, growing the file when it is full.
func (j *journal) append(it item) error {
	if j.off+recordLen > len(j.m) {
		if err := j.remap(2 * (len(j.m) + recordLen)); err != nil {
			return err
		}
	}
	j.off += copy(j.m[j.off:], appendJournal(j.m[j.off:j.off], it))
	return nil
}

// reset replaces the records by recs (the keys not yet in bbolt), zeroing
// the rest so that reading stops at the new end.
func (j *journal) reset(items []item) error {
	old := j.off
	j.off = 0
	for _, it := range items {
		if err := j.append(it); err != nil {
			return err
		}
	}
	if old > j.off {
		clear(j.m[j.off:old])
	}
	return nil
}

func (j *journal) close() error {
	err := syscall.Munmap(j.m)
	j.m = nil
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}
