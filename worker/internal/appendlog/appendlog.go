// Package appendlog is an append-only file with group commit: many goroutines
// append records concurrently and those that need durability wait for one
// shared fsync instead of one each. The file sink, the dead-letter file and
// the spool segments are all built on it.
package appendlog

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Policy says when appended data is fsynced.
type Policy uint8

const (
	// SyncInterval fsyncs in the background every interval (like Redis's
	// "appendfsync everysec"): a process crash loses nothing (the data is in
	// the page cache), a power loss loses at most one interval.
	SyncInterval Policy = iota
	// SyncAlways fsyncs before Append returns (group commit: concurrent
	// appenders share one fsync).
	SyncAlways
	// SyncNever leaves flushing to the operating system.
	SyncNever
)

// ParsePolicy maps "always", "interval" and "never" to a Policy.
func ParsePolicy(s string) (Policy, bool) {
	switch s {
	case "always":
		return SyncAlways, true
	case "interval", "":
		return SyncInterval, true
	case "never":
		return SyncNever, true
	}
	return SyncInterval, false
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("appendlog: closed")

// file is what File uses of its *os.File; tests put a faulty one in.
type file interface {
	Write(b []byte) (int, error)
	Truncate(size int64) error
	Sync() error
	Close() error
}

// File is an append-only file. Its methods are safe for concurrent use.
type File struct {
	policy Policy

	mu      sync.Mutex // guards f, size, written, closed, writes
	f       file
	size    int64  // bytes in the file
	written uint64 // number of Append calls that wrote
	closed  bool
	broken  error // set when a torn write could not be undone

	syncMu sync.Mutex // serialises fsyncs; guards synced
	synced uint64     // every append numbered <= synced is on disk

	stop chan struct{}
	done chan struct{}
}

// Open opens (creating if needed) path for appending. With SyncInterval a
// background goroutine fsyncs every interval until Close.
func Open(path string, policy Policy, interval time.Duration) (*File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &File{policy: policy, f: f, size: st.Size()}
	if policy == SyncInterval {
		if interval <= 0 {
			interval = time.Second
		}
		l.stop, l.done = make(chan struct{}), make(chan struct{})
		go l.loop(interval)
	}
	return l, nil
}

func (l *File) loop(interval time.Duration) {
	defer close(l.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			n := l.written
			l.mu.Unlock()
			_ = l.SyncTo(n)
		}
	}
}

// Append writes b with one write(2) under the lock (so concurrent appends
// never interleave) and, with SyncAlways, waits until it is fsynced. It
// returns the append's sequence number for SyncTo.
func (l *File) Append(b []byte) (uint64, error) {
	seq, err := l.AppendNoSync(b)
	if err == nil && l.policy == SyncAlways {
		err = l.SyncTo(seq)
	}
	return seq, err
}

// AppendNoSync writes b like Append but never waits for an fsync: the caller
// calls SyncTo(seq) when it needs durability (after releasing its own locks).
func (l *File) AppendNoSync(b []byte) (uint64, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, ErrClosed
	}
	if l.broken != nil {
		l.mu.Unlock()
		return 0, l.broken
	}
	n, err := l.f.Write(b)
	if err != nil {
		// A short write (disk full) leaves a torn record behind, and readers
		// stop at the first record that does not check out: everything
		// appended after it would be lost. Cut the file back to its last
		// whole record; if even that fails, refuse every later append, so
		// callers answer "retry" instead of acknowledging unreadable data.
		if n > 0 {
			if terr := l.f.Truncate(l.size); terr != nil {
				l.broken = fmt.Errorf("appendlog: torn write could not be cut off: %w", terr)
			}
		}
		l.mu.Unlock()
		return 0, err
	}
	l.size += int64(n)
	l.written++
	seq := l.written
	l.mu.Unlock()
	return seq, nil
}

// SyncTo returns once every append up to seq is on disk. Callers that
// arrive while an fsync runs wait for it and then usually find their data
// already covered by it: that is the group commit. After Close it returns
// nil for every seq Close covered (Close syncs first).
func (l *File) SyncTo(seq uint64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.synced >= seq {
		return nil
	}
	l.mu.Lock()
	target, f := l.written, l.f
	l.mu.Unlock()
	if err := f.Sync(); err != nil {
		return err
	}
	l.synced = target
	return nil
}

// Size returns the file's size in bytes.
func (l *File) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Close fsyncs (unless SyncNever) and closes the file.
func (l *File) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	n := l.written
	l.mu.Unlock()
	if l.stop != nil {
		close(l.stop)
		<-l.done
	}
	var err error
	if l.policy != SyncNever {
		err = l.SyncTo(n)
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
