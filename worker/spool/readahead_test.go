package spool

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestReadAheadFollowsRotatingWriter keeps the reader at the writer's heels
// while the cursor lags a fixed number of records behind, so the read
// position crosses each rotation as it happens, in a later segment than the
// cursor. The segment the cursor is in must survive until the cursor leaves
// it, and a restart must return exactly the lagging records, in order.
func TestReadAheadFollowsRotatingWriter(t *testing.T) {
	old := SegmentSize
	SegmentSize = 64
	defer func() { SegmentSize = old }()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(i int) string { return fmt.Sprintf("rec-%03d-%s", i, strings.Repeat("y", i%7*3)) }
	const total, lag = 60, 9
	for i := range total {
		if err := s.Append([]byte(rec(i))); err != nil {
			t.Fatal(err)
		}
		if got := next(t, s); got != rec(i) {
			t.Fatalf("read %q, want %q", got, rec(i))
		}
		if i >= lag {
			if err := s.Ack(); err != nil {
				t.Fatal(err)
			}
		}
		if want := int64(min(i+1, lag)); s.Backlog() != want {
			t.Fatalf("after record %d: backlog %d, want %d", i, s.Backlog(), want)
		}
	}
	segs, _ := s.segments()
	if len(segs) < 3 {
		t.Fatalf("segments %v: the lagging cursor should span several", segs)
	}
	// Nothing more to read: Next waits (here: for a context already done)
	// rather than returning a record twice.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if b, err := s.Next(ctx); err == nil {
		t.Fatalf("Next past the end returned %q", b)
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Backlog() != lag {
		t.Fatalf("backlog after restart %d, want %d", s.Backlog(), lag)
	}
	for i := total - lag; i < total; i++ {
		if got := next(t, s); got != rec(i) {
			t.Fatalf("after restart read %q, want %q", got, rec(i))
		}
	}
	for range lag {
		if err := s.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	if left, _ := s.segments(); len(left) != 1 {
		t.Fatalf("segments left once everything is acknowledged: %v", left)
	}
}

// TestReadAheadModel runs random Append, Next, Ack and restart steps
// against a model of the queue (records appended, cursor, read position)
// and checks after each step what Next returns, the backlog, and which
// segment files exist: none the cursor has fully passed may be left behind
// for long, and none holding an unacknowledged record may be gone.
func TestReadAheadModel(t *testing.T) {
	old := SegmentSize
	SegmentSize = 96
	defer func() { SegmentSize = old }()
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { readAheadModel(t, seed) })
	}
}

func readAheadModel(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	var (
		recs    []string // everything appended
		seg     []uint64 // the segment each record went to
		segSize int64    // bytes in the writer's segment, as the spool rotates
		curSeg  uint64
		cursor  int // records before it are acknowledged
		read    int // records before it were returned by Next
	)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for step := range 600 {
		switch op := rng.IntN(20); {
		case op < 7: // append
			r := fmt.Sprintf("%d-%s", len(recs), strings.Repeat("z", rng.IntN(40)))
			if err := s.Append([]byte(r)); err != nil {
				t.Fatal(err)
			}
			if segSize >= SegmentSize {
				curSeg, segSize = curSeg+1, 0
			}
			segSize += int64(headerLen + len(r))
			recs, seg = append(recs, r), append(seg, curSeg)
		case op < 13: // read ahead
			if read == len(recs) {
				if b, err := s.Next(done); err == nil {
					t.Fatalf("step %d: Next with nothing left returned %q", step, b)
				}
				break
			}
			if got := next(t, s); got != recs[read] {
				t.Fatalf("step %d: Next returned %q, want %q", step, got, recs[read])
			}
			read++
		case op < 19: // acknowledge the oldest outstanding record
			err := s.Ack()
			if cursor == read {
				if err == nil {
					t.Fatalf("step %d: Ack with nothing outstanding succeeded", step)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			cursor++
		default: // restart: what was read and not acknowledged comes again
			s.Close()
			if s, err = Open(dir); err != nil {
				t.Fatal(err)
			}
			read = cursor
		}
		if want := int64(len(recs) - cursor); s.Backlog() != want {
			t.Fatalf("step %d: backlog %d, want %d", step, s.Backlog(), want)
		}
		files, err := s.segments()
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 || files[len(files)-1] != curSeg || files[len(files)-1]-files[0] != uint64(len(files)-1) {
			t.Fatalf("step %d: segment files %v, want a run ending at %d", step, files, curSeg)
		}
		// The first file holds the next record to acknowledge, or is the
		// one the cursor has just reached the end of.
		if cursor < len(recs) && files[0] > seg[cursor] {
			t.Fatalf("step %d: segment %d deleted with record %d in it unacknowledged (files %v)", step, seg[cursor], cursor, files)
		}
		if cursor > 0 && files[0] < seg[cursor-1] {
			t.Fatalf("step %d: segment %d kept though the cursor is past it in %d (files %v)", step, files[0], seg[cursor-1], files)
		}
	}
	// Drain: everything left comes out once, in order, and only the
	// writer's segment remains.
	for ; read < len(recs); read++ {
		if got := next(t, s); got != recs[read] {
			t.Fatalf("drain: Next returned %q, want %q", got, recs[read])
		}
	}
	for ; cursor < len(recs); cursor++ {
		if err := s.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	if s.Backlog() != 0 {
		t.Fatalf("backlog %d after draining", s.Backlog())
	}
	if files, _ := s.segments(); len(files) != 1 || files[0] != curSeg {
		t.Fatalf("segment files %v after draining, want [%d]", files, curSeg)
	}
}
