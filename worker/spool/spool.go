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
// Layout of the spool directory: segment files NNNNNNNNNNNNNNNNNNNN.seg2
// (numbered in order, rotated at SegmentSize), and a 16-byte file "cursor"
// holding the cursor (segment number, offset). Only the cursor is persisted:
// after a restart the read position starts at the cursor again, so records
// read ahead but not acknowledged are returned again. A segment is deleted
// once the cursor has moved past its end, however far ahead the reader is.
// The cursor is written (not fsynced) after each Ack: after a process crash
// it is exact, after a power failure it may lag, so a few records may be
// delivered again — the queue is at-least-once, never lossy.
//
// Record framing (format 2): a 16-byte header [magic "\xffSP2"][payload
// length uint32][crc32c of the payload uint32][crc32c of the header's first
// 12 bytes uint32], big-endian, then the payload. The magic and the header
// checksum let the reader resynchronise after damage: where the bytes at the
// read position are not an intact record (a flipped bit in a header or a
// payload, a damaged length), it looks for the next offset holding an
// intact header whose payload checksum matches, and goes on from there. A
// damaged length cannot make it skip good records, since a header whose
// checksum fails is never trusted. The bytes skipped are not deleted: they
// are appended, with their segment and offset, to quarantine.ndjson in the
// spool directory (fsynced before the reader moves past them), logged, and
// counted (Quarantined, which the worker exports as
// wxhook_spool_quarantined_total). After a restart before the cursor passed
// them, the same bytes may be quarantined a second time.
//
// Only a torn tail is cut: at Open, bytes at the end of the last segment
// that hold no intact record (a crash during a write, never acknowledged to
// anyone) are moved to quarantine.ndjson too (reason "torn tail", not
// counted as damage) and the segment is truncated so appends go on after
// the last intact record. If the tail is a complete record whose payload
// checksum fails (damage, not a torn write), it is moved aside the same way
// but counted as damage.
//
// Upgrade from format 1: earlier versions wrote segments NNN.seg with an
// 8-byte header [length][crc32c] and no way to resynchronise. Open still
// reads them: they are taken in order before the format-2 segments, the
// writer starts a new .seg2 segment after the last of them, and each is
// deleted once read as before. In a .seg segment, damage moves the rest of
// that segment to quarantine.ndjson (its records cannot be told apart from
// there on). The format is told by the file name, which damage to the
// contents cannot change. A downgrade does not read .seg2 segments: the
// older version leaves them on disk untouched.
package spool

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wxhook/wxhook/worker/internal/appendlog"
)

// SegmentSize is the size at which the writer starts a new segment (a
// variable so tests can rotate quickly).
var SegmentSize int64 = 64 << 20

// MaxRecord bounds one record (a decoded event is far below it).
const MaxRecord = 64 << 20

// headerLen is the size of a record's header; legacyHeaderLen that of
// format 1.
const (
	headerLen       = 16
	legacyHeaderLen = 8
)

// magic opens every format-2 record. 0xff never occurs in UTF-8 text, so
// JSON payloads do not fake it.
var magic = [4]byte{0xff, 'S', 'P', '2'}

// QuarantineFile is the name, in the spool directory, of the file damaged
// bytes are moved to.
const QuarantineFile = "quarantine.ndjson"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("spool: closed")

// Spool is the queue. Append is safe for concurrent use. Next must be
// called from one reader goroutine; Ack may be called from others (senders
// finishing records while the reader waits in Next), but the caller orders
// the Acks: each acknowledges the oldest record still outstanding.
type Spool struct {
	dir    string
	log    *slog.Logger
	v2From uint64 // segments before it are format 1 (.seg)

	qmu         sync.Mutex
	qf          *os.File // quarantine.ndjson, opened on first use
	quarantined atomic.Int64

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

// Options tune Open.
type Options struct {
	// Logger receives what is moved to quarantine (default slog.Default()).
	Logger *slog.Logger
}

// Open opens or creates the spool in dir.
func Open(dir string) (*Spool, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with options.
func OpenWith(dir string, opt Options) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &Spool{dir: dir, log: opt.Logger, wake: make(chan struct{})}
	segs, legacy, err := s.list()
	if err != nil {
		return nil, err
	}
	if len(legacy) > 0 {
		s.v2From = legacy[len(legacy)-1] + 1
	}
	s.cursorF, err = os.OpenFile(filepath.Join(dir, "cursor"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Spool, error) {
		s.cursorF.Close()
		if s.qf != nil {
			s.qf.Close()
		}
		return nil, err
	}
	var c [16]byte
	if n, _ := s.cursorF.ReadAt(c[:], 0); n == 16 {
		s.rSeg, s.rOff = binary.BigEndian.Uint64(c[:8]), int64(binary.BigEndian.Uint64(c[8:]))
	}
	// Segments before the cursor were consumed (a crash between the cursor
	// write and the delete leaves them behind).
	for len(segs) > 0 && segs[0] < s.rSeg {
		os.Remove(s.path(segs[0]))
		segs = segs[1:]
	}
	if len(segs) == 0 {
		// Nothing on disk (a new spool, or every segment consumed): the
		// writer starts a segment where reading goes on, at its start.
		s.rSeg, s.rOff = max(s.rSeg, s.v2From), 0
		segs = []uint64{s.rSeg}
	}
	if segs[0] > s.rSeg {
		s.rSeg, s.rOff = segs[0], 0
	}
	// Count the backlog and cut a torn tail off the last segment (only a
	// format-2 one: a .seg segment is never appended to again, and its
	// reader moves whatever it cannot read to quarantine).
	var backlog int64
	for i, n := range segs {
		from := int64(0)
		if n == s.rSeg {
			from = s.rOff
		}
		count, tail, err := s.scan(n, from)
		if err != nil {
			return fail(err)
		}
		backlog += count
		if i == len(segs)-1 && tail >= 0 && n >= s.v2From {
			if err := s.cutTail(n, tail); err != nil {
				return fail(err)
			}
		}
	}
	s.backlog.Store(backlog)
	s.pSeg, s.pOff = s.rSeg, s.rOff
	// The writer appends to the last segment, or starts the first
	// format-2 one after the format-1 segments of an upgraded spool.
	if err := s.openSegment(max(segs[len(segs)-1], s.v2From)); err != nil {
		return fail(err)
	}
	return s, nil
}

// segName is the file name of format-2 segment n, legacyName that of a
// format-1 one.
func segName(n uint64) string    { return fmt.Sprintf("%020d.seg2", n) }
func legacyName(n uint64) string { return fmt.Sprintf("%020d.seg", n) }

// path is the file of segment n.
func (s *Spool) path(n uint64) string {
	if n < s.v2From {
		return filepath.Join(s.dir, legacyName(n))
	}
	return filepath.Join(s.dir, segName(n))
}

// list returns every segment number in dir, in order, and those of the
// format-1 segments among them.
func (s *Spool) list() (all, legacy []uint64, err error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, nil, err
	}
	var v2 []uint64
	for _, e := range ents {
		name, ext, _ := strings.Cut(e.Name(), ".")
		n, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		switch ext {
		case "seg":
			legacy = append(legacy, n)
		case "seg2":
			v2 = append(v2, n)
		}
	}
	slices.Sort(legacy)
	slices.Sort(v2)
	if len(legacy) > 0 && len(v2) > 0 && v2[0] <= legacy[len(legacy)-1] {
		return nil, nil, fmt.Errorf("spool: %s: format-2 segment %d is not after format-1 segment %d", s.dir, v2[0], legacy[len(legacy)-1])
	}
	return append(slices.Clone(legacy), v2...), legacy, nil
}

// segments lists the segment numbers in dir, in order.
func (s *Spool) segments() ([]uint64, error) {
	all, _, err := s.list()
	return all, err
}

// scan counts the intact records of segment n from offset from, going on
// after damage as the reader will. tail is where bytes holding no intact
// record run to the end of the file, or -1 if the file ends with a record.
func (s *Spool) scan(n uint64, from int64) (count, tail int64, err error) {
	f, err := os.Open(s.path(n))
	if errors.Is(err, os.ErrNotExist) {
		return 0, -1, nil
	}
	if err != nil {
		return 0, -1, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, -1, err
	}
	legacy := n < s.v2From
	size, off := st.Size(), from
	var hdr [headerLen]byte
	var buf []byte
	for off < size {
		if n, ok := readRecord(f, legacy, off, size, &hdr, &buf); ok {
			count++
			off += n
			continue
		}
		next := size
		if !legacy {
			next = nextRecord(f, off+1, size, &hdr, &buf)
		}
		if next == size {
			return count, off, nil
		}
		off = next
	}
	return count, -1, nil
}

// cutTail moves the bytes of the last segment n from off on to quarantine
// and truncates the segment there.
func (s *Spool) cutTail(n uint64, off int64) error {
	f, err := os.Open(s.path(n))
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := s.quarantine(f, n, off, st.Size(), st.Size()); err != nil {
		return err
	}
	return os.Truncate(s.path(n), off)
}

// readRecord reads the record at off into *buf, returning its framed length,
// or false if there is no complete, intact record there. legacy selects
// format 1.
func readRecord(f *os.File, legacy bool, off, limit int64, hdr *[headerLen]byte, buf *[]byte) (int64, bool) {
	n, hl, ok := readHeader(f, legacy, off, limit, hdr)
	if !ok || off+hl+n > limit {
		return 0, false
	}
	want := binary.BigEndian.Uint32(hdr[8:12])
	if legacy {
		want = binary.BigEndian.Uint32(hdr[4:8])
	}
	if int64(cap(*buf)) < n {
		*buf = make([]byte, n)
	}
	*buf = (*buf)[:n]
	if _, err := f.ReadAt(*buf, off+hl); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return 0, false
	}
	if crc32.Checksum(*buf, castagnoli) != want {
		return 0, false
	}
	return hl + n, true
}

// readHeader reads the header at off and returns the payload length it
// gives and the header's own length, or false if there is no intact header
// there (format 1 has no header checksum: any length up to MaxRecord is
// taken).
func readHeader(f *os.File, legacy bool, off, limit int64, hdr *[headerLen]byte) (n, hl int64, ok bool) {
	hl = headerLen
	if legacy {
		hl = legacyHeaderLen
	}
	if off+hl > limit {
		return 0, hl, false
	}
	if _, err := f.ReadAt(hdr[:hl], off); err != nil {
		return 0, hl, false
	}
	if legacy {
		n = int64(binary.BigEndian.Uint32(hdr[:4]))
	} else {
		if [4]byte(hdr[:4]) != magic || crc32.Checksum(hdr[:12], castagnoli) != binary.BigEndian.Uint32(hdr[12:16]) {
			return 0, hl, false
		}
		n = int64(binary.BigEndian.Uint32(hdr[4:8]))
	}
	return n, hl, n <= MaxRecord
}

// nextRecord returns the first offset in [from, limit) where an intact
// format-2 record starts, or limit if there is none.
func nextRecord(f *os.File, from, limit int64, hdr *[headerLen]byte, buf *[]byte) int64 {
	chunk := make([]byte, 64<<10)
	for base := from; base+headerLen <= limit; {
		c := chunk[:min(int64(len(chunk)), limit-base)]
		if _, err := f.ReadAt(c, base); err != nil && !errors.Is(err, io.EOF) {
			return limit
		}
		for i := 0; ; {
			j := bytes.Index(c[i:], magic[:])
			if j < 0 {
				break
			}
			i += j
			if _, ok := readRecord(f, false, base+int64(i), limit, hdr, buf); ok {
				return base + int64(i)
			}
			i++
		}
		if int64(len(c)) < int64(len(chunk)) {
			break // that was the end
		}
		// The next chunk overlaps this one by len(magic)-1 bytes, so a
		// magic across the boundary is found.
		base += int64(len(c)) - int64(len(magic)-1)
	}
	return limit
}

// quarantine appends the bytes [from, to) of segment n (open as f) to
// quarantine.ndjson, fsynced, and logs them. size is the segment's size:
// bytes that run to it and do not hold a complete record are a torn tail
// (a write cut by a crash, never acknowledged) and not counted as damage.
func (s *Spool) quarantine(f *os.File, n uint64, from, to, size int64) error {
	if to <= from {
		return nil
	}
	b := make([]byte, to-from)
	if _, err := f.ReadAt(b, from); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	reason := "damaged"
	if to == size {
		var hdr [headerLen]byte
		legacy := n < s.v2From
		if pl, hl, ok := readHeader(f, legacy, from, size, &hdr); !ok && from+hl > size || ok && from+hl+pl > size {
			reason = "torn tail"
		}
	}
	line, err := json.Marshal(struct {
		Time    time.Time `json:"time"`
		Segment string    `json:"segment"`
		Offset  int64     `json:"offset"`
		Length  int64     `json:"length"`
		Reason  string    `json:"reason"`
		Data    string    `json:"data_base64"`
	}{time.Now().UTC(), filepath.Base(s.path(n)), from, to - from, reason, base64.StdEncoding.EncodeToString(b)})
	if err != nil {
		return err
	}
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.qf == nil {
		qf, err := os.OpenFile(filepath.Join(s.dir, QuarantineFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		s.qf = qf
		syncDir(s.dir)
	}
	if _, err := s.qf.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := s.qf.Sync(); err != nil {
		return err
	}
	if reason == "torn tail" {
		s.log.Warn("spool: torn tail cut off the last segment (a write cut by a crash); bytes kept in "+QuarantineFile,
			"segment", filepath.Base(s.path(n)), "offset", from, "bytes", to-from)
	} else {
		s.quarantined.Add(1)
		s.log.Error("spool: damaged bytes skipped; the records after them are read on; bytes kept in "+QuarantineFile,
			"segment", filepath.Base(s.path(n)), "offset", from, "bytes", to-from)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Quarantined returns how many damaged byte ranges (each one or a few
// records, or a record's worth of garbage) were moved to quarantine.ndjson
// since Open. Torn tails are not counted.
func (s *Spool) Quarantined() int64 { return s.quarantined.Load() }

func (s *Spool) openSegment(n uint64) error {
	l, err := appendlog.Open(s.path(n), appendlog.SyncAlways, 0)
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
	b = append(b, magic[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(payload, castagnoli))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b[:12], castagnoli))
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

// Each calls fn with every unacknowledged record, oldest first, going on
// after damaged bytes as Next does (without moving them to quarantine). It
// must be called before the reader starts (it reads the reader's
// position); the slice is valid only during the call.
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
		f, err := os.Open(s.path(n))
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
		legacy := n < s.v2From
		for off < st.Size() {
			if size, ok := readRecord(f, legacy, off, st.Size(), &hdr, &buf); ok {
				fn(buf)
				off += size
			} else if legacy {
				break
			} else {
				off = nextRecord(f, off+1, st.Size(), &hdr, &buf)
			}
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
			f, err := os.Open(s.path(s.pSeg))
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
			legacy := s.pSeg < s.v2From
			if n, ok := readRecord(s.rFile, legacy, s.pOff, limit, &s.hdr, &s.buf); ok {
				s.pOff += n
				s.ahead = append(s.ahead, pos{s.pSeg, s.pOff})
				return s.buf, nil
			}
			if s.pOff < limit {
				// Damaged bytes (complete records end at limit): move
				// them aside and go on at the next intact record — in a
				// format-1 segment, there is none to find.
				end := limit
				if !legacy {
					end = nextRecord(s.rFile, s.pOff+1, limit, &s.hdr, &s.buf)
				}
				// A format-1 segment may end in a torn tail (it was
				// never cut: the writer moved on to format 2); in a
				// format-2 one, bytes up to limit were written whole.
				size := int64(-1)
				if legacy {
					size = limit
				}
				if err := s.quarantine(s.rFile, s.pSeg, s.pOff, end, size); err != nil {
					// Not kept: stay here and try again, rather than
					// lose them.
					s.log.Error("spool: cannot move damaged bytes to "+QuarantineFile+"; retrying", "err", err)
					s.rmu.Unlock()
					select {
					case <-ctx.Done():
						s.rmu.Lock()
						return nil, ctx.Err()
					case <-time.After(time.Second):
					}
					s.rmu.Lock()
					continue
				}
				s.pOff = end
				if len(s.ahead) == 0 {
					s.moveCursor(pos{s.pSeg, s.pOff})
				}
				continue
			}
		}
		if s.pSeg < curSeg {
			// This segment is finished: move on.
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
		os.Remove(s.path(n))
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
	s.qmu.Lock()
	if s.qf != nil {
		s.qf.Close()
		s.qf = nil
	}
	s.qmu.Unlock()
	return err
}
