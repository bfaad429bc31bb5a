//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package dedup

import (
	"errors"
	"io"
	"os"
)

// journal is the commit journal as a plain file, one write(2) per record,
// where memory mapping is not available.
type journal struct {
	f   *os.File
	buf []byte
}

func openJournal(path string) (*journal, []byte, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, err
	}
	old, err := io.ReadAll(f)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, nil, err
	}
	return &journal{f: f}, old, nil
}

func (j *journal) append(it item) error {
	j.buf = appendJournal(j.buf[:0], it)
	_, err := j.f.Write(j.buf)
	return err
}

func (j *journal) reset(items []item) error {
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	j.buf = j.buf[:0]
	for _, it := range items {
		j.buf = appendJournal(j.buf, it)
	}
	_, err := j.f.Write(j.buf)
	return err
}

func (j *journal) close() error { return j.f.Close() }
