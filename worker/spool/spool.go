// Package spool is a durable on-disk FIFO queue: one writer side that many
// goroutines append to (each Append returns once its record is fsynced, with
// group commit), and one reader that takes records in order and acknowledges
// them in the same order. It is what lets the HTTP forward sink answer the
// vendor as soon as an event is safe on disk, whatever the downstream's
// state, and deliver it after a restart or an outage.
//
// The reader may read ahead. The spool keeps two positions: the read
// position, where Next takes the next record, and the cursor, before which
// every record is acknowledged. Next advances the first and Ack the second,
// by the oldest record returned and not yet acknowledged. A reader working
// on several records at once (the forward sink with Concurrency > 1) thus
// moves the cursor only over a prefix of records it has finished, in
// whatever order it finished them; how far it reads ahead is up to it.
//
// Layout of the spool directory: segment files NNNNNNNNNNNNNNNNNNNN.seg
// (numbered in order, rotated at SegmentSize) holding records
// [len uint32][crc32c uint32][payload], and a 16-byte file "cursor" holding
// the cursor (segment number, offset). Only the cursor is persisted: after
// a restart the read position starts at the cursor again, so records read
// ahead but not acknowledged are returned again. A segment is deleted once
// the cursor has moved past its end, however far ahead the reader is. The
// cursor is written (not fsynced) after each Ack: after a process crash it
// is exact, after a power failure it may lag, so a few records may be
// delivered again — the queue is at-least-once, never lossy. A torn record
// at the end of the last segment (a crash during a write, never
// acknowledged to anyone) is cut off at Open.
package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wxhook/wxhook/worker/internal/appendlog"
)

// SegmentSize is the size at which the writer starts a new segment (a
// variable so tests can rotate quickly).
var SegmentSize int64 = 64 << 20

// MaxRecord bounds one record (a decoded event is far below it).
const MaxRecord = 64 << 20

const headerLen = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("spool: closed")

// Spool is the queue. Append is safe for concurrent use. Next must be
// called from one reader goroutine; Ack may be called from others (senders
// finishing records while the reader waits in Next), but the caller orders
// the Acks: each acknowledges the oldest record still outstanding.
type Spool struct {
	dir string

	mu      sync.Mutex
	cur     *appendlog.File // segment being written
	curSeg  uint64
	curSize int64 // bytes of complete records in cur
	closed  bool
	wake    chan struct{} // closed and replaced when a record is appended

	backlog atomic.Int64

	// Reader state, guarded by rmu: the cursor (rSeg, rOff: every record
	// before it is acknowledged, persisted in cursorF), the read position
	// (pSeg, pOff: where Next reads the next record; rFile is that
	// segment), and the end position of each record Next returned that is
	// not acknowledged yet, oldest first.
	rmu     sync.Mutex
	rSeg    uint64
	rOff    int64
	pSeg    uint64
	pOff    int64
	rFile   *os.File
	ahead   []pos
	cursorF *os.File
	hdr     [headerLen]byte
	buf     []byte
}

// pos is a position in the spool: a segment and an offset in it.
type pos struct {
	seg uint64
	off int64
}

func segName(n uint64) string { return fmt.Sprintf("%020d.seg", n) }

// Open opens or creates the spool in dir.
func Open(dir string) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &Spool{dir: dir, wake: make(chan struct{})}
	segs, err := s.segments()
	if err != nil {
		return nil, err
	}
	s.cursorF, err = os.OpenFile(filepath.Join(dir, "cursor"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	var c [16]byte
	if n, _ := s.cursorF.ReadAt(c[:], 0); n == 16 {
		s.rSeg, s.rOff = binary.BigEndian.Uint64(c[:8]), int64(binary.BigEndian.Uint64(c[8:]))
	}
	// Segments before the cursor were consumed (a crash between the cursor
	// write and the delete leaves them behind).
	for len(segs) > 0 && segs[0] < s.rSeg {
		os.Remove(filepath.Join(dir, segName(segs[0])))
		segs = segs[1:]
	}
	if len(segs) == 0 {
		segs = []uint64{s.rSeg}
	}
	if segs[0] > s.rSeg {
		s.rSeg, s.rOff = segs[0], 0
	}
	// Count the backlog and cut a torn tail off the last segment.
	var backlog int64
	for i, n := range segs {
		from := int64(0)
		if n == s.rSeg {
			from = s.rOff
		}
		count, end, size, err := scan(filepath.Join(dir, segName(n)), from)
		if err != nil {
			s.cursorF.Close()
			return nil, err
		}
		backlog += count
		if i == len(segs)-1 && end < size {
			if err := os.Truncate(filepath.Join(dir, segName(n)), end); err != nil {
				s.cursorF.Close()
				return nil, err
			}
		}
	}
	s.backlog.Store(backlog)
	s.pSeg, s.pOff = s.rSeg, s.rOff
	last := segs[len(segs)-1]
	if err := s.openSegment(last); err != nil {
		s.cursorF.Close()
		return nil, err
	}
	return s, nil
}

// segments lists the segment numbers in dir, in order.
func (s *Spool) segments() ([]uint64, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var segs []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".seg")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(name, 10, 64); err == nil {
			segs = append(segs, n)
		}
	}
	slices.Sort(segs)
	return segs, nil
}

// scan counts the valid records of a segment from offset from, and returns
// the offset where valid data ends and the file's size.
func scan(path string, from int64) (count, end, size int64, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, 0, err
	}
	size, end = st.Size(), from
	var hdr [headerLen]byte
	var buf []byte
	for {
		n, ok := readRecord(f, end, size, &hdr, &buf)
		if !ok {
			return count, end, size, nil
		}
		count++
		end += n
	}
}

// readRecord reads the record at off into *buf, returning its framed length,
// or false if there is no complete, intact record there.
func readRecord(f *os.File, off, limit int64, hdr *[headerLen]byte, buf *[]byte) (int64, bool) {
	if off+headerLen > limit {
		return 0, false
	}
	if _, err := f.ReadAt(hdr[:], off); err != nil {
		return 0, false
	}
	n := int64(binary.BigEndian.Uint32(hdr[:4]))
	if n > MaxRecord || off+headerLen+n > limit {
		return 0, false
	}
	if int64(cap(*buf)) < n {
		*buf = make([]byte, n)
	}
	*buf = (*buf)[:n]
	if _, err := f.ReadAt(*buf, off+headerLen); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return 0, false
	}
	if crc32.Checksum(*buf, castagnoli) != binary.BigEndian.Uint32(hdr[4:]) {
		return 0, false
	}
	return headerLen + n, true
}

func (s *Spool) openSegment(n uint64) error {
	l, err := appendlog.Open(filepath.Join(s.dir, segName(n)), appendlog.SyncAlways, 0)
	if err != nil {
		return err
	}
	s.cur, s.curSeg, s.curSize = l, n, l.Size()
	return nil
}

var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Append adds a record and returns once it is fsynced.
func (s *Spool) Append(payload []byte) error {
	if len(payload) > MaxRecord {
		return fmt.Errorf("spool: record of %d bytes exceeds %d", len(payload), MaxRecord)
	}
	bp := framePool.Get().(*[]byte)
	b := (*bp)[:0]
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(payload, castagnoli))
	b = append(b, payload...)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		framePool.Put(bp)
		return ErrClosed
	}
	if s.curSize >= SegmentSize {
		// Rotate: the old segment is closed (fsynced) and a new one begun.
		// Appenders still waiting in SyncTo on the old one are covered by
		// Close's own fsync.
		old := s.cur
		if err := s.openSegment(s.curSeg + 1); err != nil {
			s.mu.Unlock()
			framePool.Put(bp)
			return err
		}
		old.Close()
	}
	log := s.cur
	seq, err := log.AppendNoSync(b)
	if err == nil {
		s.curSize += int64(len(b))
	}
	s.mu.Unlock()
	*bp = b
	framePool.Put(bp)
	if err != nil {
		return err
	}
	// The record is in the segment whether or not the fsync below succeeds,
	// and the reader will deliver it: count it now so the backlog stays true.
	s.backlog.Add(1)
	s.signal()
	return log.SyncTo(seq)
}

func (s *Spool) signal() {
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

// Each calls fn with every unacknowledged record, oldest first. It must be
// called before the reader starts (it reads the reader's position); the
// slice is valid only during the call.
func (s *Spool) Each(fn func([]byte)) error {
	segs, err := s.segments()
	if err != nil {
		return err
	}
	var hdr [headerLen]byte
	var buf []byte
	for _, n := range segs {
		if n < s.rSeg {
			continue
		}
		f, err := os.Open(filepath.Join(s.dir, segName(n)))
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		off := int64(0)
		if n == s.rSeg {
			off = s.rOff
		}
		for {
			size, ok := readRecord(f, off, st.Size(), &hdr, &buf)
			if !ok {
				break
			}
			fn(buf)
			off += size
		}
		f.Close()
	}
	return nil
}

// Backlog returns the number of records appended and not yet acknowledged.
func (s *Spool) Backlog() int64 { return s.backlog.Load() }

// Next returns the record after the last one it returned (after a restart:
// the oldest unacknowledged one), waiting for one until ctx is done. The
// slice is valid until the next call to Next.
func (s *Spool) Next(ctx context.Context) ([]byte, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		curSeg, curSize, wake := s.curSeg, s.curSize, s.wake
		s.mu.Unlock()

		if s.rFile == nil {
			f, err := os.Open(filepath.Join(s.dir, segName(s.pSeg)))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			s.rFile = f
		}
		limit := curSize
		if s.pSeg < curSeg && s.rFile != nil {
			st, err := s.rFile.Stat()
			if err != nil {
				return nil, err
			}
			limit = st.Size()
		}
		if s.rFile != nil {
			if n, ok := readRecord(s.rFile, s.pOff, limit, &s.hdr, &s.buf); ok {
				s.pOff += n
				s.ahead = append(s.ahead, pos{s.pSeg, s.pOff})
				return s.buf, nil
			}
		}
		if s.pSeg < curSeg {
			// This segment is finished (or damaged past here): move on.
			if s.rFile != nil {
				s.rFile.Close()
				s.rFile = nil
			}
			s.pSeg, s.pOff = s.pSeg+1, 0
			if len(s.ahead) == 0 {
				// Everything read is acknowledged: the cursor follows, and
				// the finished segment goes.
				s.moveCursor(pos{s.pSeg, 0})
			}
			continue
		}
		s.rmu.Unlock() // an Ack may come while we wait
		select {
		case <-ctx.Done():
			s.rmu.Lock()
			return nil, ctx.Err()
		case <-wake:
		}
		s.rmu.Lock()
	}
}

// Ack acknowledges the oldest record Next returned and that is not yet
// acknowledged: it will not be returned again, even after a restart.
func (s *Spool) Ack() error {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if len(s.ahead) == 0 {
		return errors.New("spool: Ack without Next")
	}
	p := s.ahead[0]
	n := copy(s.ahead, s.ahead[1:])
	s.ahead = s.ahead[:n]
	if n == 0 {
		// Nothing read is outstanding: the cursor can go where reading
		// is, past a finished segment the reader has already left.
		p = pos{s.pSeg, s.pOff}
	}
	s.backlog.Add(-1)
	return s.moveCursor(p)
}

// moveCursor persists the cursor at p and deletes the segments before it.
// s.rmu is held.
func (s *Spool) moveCursor(p pos) error {
	old := s.rSeg
	s.rSeg, s.rOff = p.seg, p.off
	err := s.writeCursor()
	for n := old; n < p.seg; n++ {
		os.Remove(filepath.Join(s.dir, segName(n)))
	}
	return err
}

func (s *Spool) writeCursor() error {
	var c [16]byte
	binary.BigEndian.PutUint64(c[:8], s.rSeg)
	binary.BigEndian.PutUint64(c[8:], uint64(s.rOff))
	_, err := s.cursorF.WriteAt(c[:], 0)
	return err
}

// Close closes the spool. Pending records stay on disk for the next Open.
// The reader must have returned from Next (cancel its context first).
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.wake)
	s.wake = make(chan struct{})
	cur := s.cur
	s.mu.Unlock()
	err := cur.Close()
	// Under rmu: an Ack on another goroutine must not write the cursor
	// file as it closes.
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if s.rFile != nil {
		s.rFile.Close()
		s.rFile = nil
	}
	if cerr := s.cursorF.Close(); err == nil {
		err = cerr
	}
	return err
}
