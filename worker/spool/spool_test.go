package spool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func next(t *testing.T, s *Spool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := s.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOrderAckAndRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := s.Append(fmt.Appendf(nil, "r%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Read ahead: r0, r1, r2 out, only r0 and r1 acknowledged.
	for i := range 3 {
		if got, want := next(t, s), fmt.Sprintf("r%d", i); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	s.Ack()
	s.Ack()
	if s.Backlog() != 3 {
		t.Fatalf("backlog %d", s.Backlog())
	}
	s.Close()

	// r2 was read but never acknowledged: a restart returns it again.
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Backlog() != 3 {
		t.Fatalf("backlog after restart %d, want 3", s.Backlog())
	}
	if got := next(t, s); got != "r2" {
		t.Fatalf("after restart got %q, want r2", got)
	}
}

func TestAckWithoutNext(t *testing.T) {
	s, _ := Open(t.TempDir())
	defer s.Close()
	s.Append([]byte("r0"))
	if err := s.Ack(); err == nil {
		t.Fatal("Ack with nothing read succeeded")
	}
	next(t, s)
	if err := s.Ack(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(); err == nil {
		t.Fatal("a second Ack for one record succeeded")
	}
}

// TestReadAheadAcrossSegments reads far ahead of the cursor through several
// rotated segments: a segment is deleted only once all its records are
// acknowledged, and a restart returns exactly the unacknowledged records,
// in order, wherever the reader had got to.
func TestReadAheadAcrossSegments(t *testing.T) {
	old := SegmentSize
	SegmentSize = 100
	defer func() { SegmentSize = old }()
	dir := t.TempDir()
	s, _ := Open(dir)
	rec := func(i int) string { return fmt.Sprintf("record-%02d-%s", i, "xxxxxxxxxxxxxxxxxxxx") }
	for i := range 20 {
		s.Append([]byte(rec(i)))
	}
	segs, _ := s.segments()
	if len(segs) < 5 {
		t.Fatalf("%d segments, want several", len(segs))
	}
	for i := range 15 { // the reader is now several segments ahead
		if got := next(t, s); got != rec(i) {
			t.Fatalf("got %q, want %q", got, rec(i))
		}
	}
	if left, _ := s.segments(); len(left) != len(segs) {
		t.Fatalf("segments deleted before any Ack: %v of %v", left, segs)
	}
	for range 7 {
		if err := s.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	left, _ := s.segments()
	if len(left) >= len(segs) || len(left) < 2 {
		t.Fatalf("after 7 of 20 acknowledged: segments %v of %v", left, segs)
	}
	if s.Backlog() != 13 {
		t.Fatalf("backlog %d, want 13", s.Backlog())
	}
	s.Close()

	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Backlog() != 13 {
		t.Fatalf("backlog after restart %d, want 13", s.Backlog())
	}
	for i := 7; i < 20; i++ {
		if got := next(t, s); got != rec(i) {
			t.Fatalf("after restart got %q, want %q", got, rec(i))
		}
		s.Ack()
	}
	if left, _ := s.segments(); len(left) != 1 {
		t.Fatalf("segments left after everything was acknowledged: %v", left)
	}
}

func TestTornTailIsCut(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	s.Append([]byte("good"))
	s.Close()
	seg := filepath.Join(dir, segName(0))
	f, _ := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0, 0, 0, 9, 1, 2}) // a header cut by a crash
	f.Close()

	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Backlog() != 1 {
		t.Fatalf("backlog %d", s.Backlog())
	}
	s.Append([]byte("after"))
	if got := next(t, s); got != "good" {
		t.Fatal(got)
	}
	s.Ack()
	if got := next(t, s); got != "after" {
		t.Fatalf("record after a torn tail: %q", got)
	}
}

func TestCorruptRecordIsNotReturned(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	s.Append([]byte("payload"))
	s.Close()
	seg := filepath.Join(dir, segName(0))
	b, _ := os.ReadFile(seg)
	b[len(b)-1] ^= 0xff
	os.WriteFile(seg, b, 0o600)
	s, _ = Open(dir)
	defer s.Close()
	if s.Backlog() != 0 {
		t.Fatalf("corrupt record counted: backlog %d", s.Backlog())
	}
}

func TestRotationDeletesConsumedSegments(t *testing.T) {
	old := SegmentSize
	SegmentSize = 100
	defer func() { SegmentSize = old }()
	dir := t.TempDir()
	s, _ := Open(dir)
	defer s.Close()
	for i := range 20 {
		s.Append(fmt.Appendf(nil, "record-%02d-%s", i, "xxxxxxxxxxxxxxxxxxxx"))
	}
	segs, _ := s.segments()
	if len(segs) < 3 {
		t.Fatalf("%d segments, want rotation", len(segs))
	}
	for i := range 20 {
		if got, want := next(t, s), fmt.Sprintf("record-%02d-%s", i, "xxxxxxxxxxxxxxxxxxxx"); got != want {
			t.Fatalf("got %q want %q", got, want)
		}
		s.Ack()
	}
	segs, _ = s.segments()
	if len(segs) != 1 {
		t.Fatalf("consumed segments left: %v", segs)
	}
}

func TestNextWaitsForAppend(t *testing.T) {
	s, _ := Open(t.TempDir())
	defer s.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	var got string
	go func() {
		defer wg.Done()
		got = next(t, s)
	}()
	time.Sleep(20 * time.Millisecond)
	s.Append([]byte("late"))
	wg.Wait()
	if got != "late" {
		t.Fatal(got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	s.Ack()
	if _, err := s.Next(ctx); err == nil {
		t.Fatal("Next returned a record from an empty spool")
	}
}

func TestConcurrentAppend(t *testing.T) {
	s, _ := Open(t.TempDir())
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if err := s.Append(fmt.Appendf(nil, "%d-%d", g, i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for range 400 {
		seen[next(t, s)] = true
		s.Ack()
	}
	if len(seen) != 400 {
		t.Fatalf("%d distinct records, want 400", len(seen))
	}
}

func TestEachSeesUnacknowledgedOnly(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	for i := range 4 {
		s.Append(fmt.Appendf(nil, "r%d", i))
	}
	next(t, s)
	s.Ack()
	s.Close()
	s, _ = Open(dir)
	defer s.Close()
	var got []string
	if err := s.Each(func(b []byte) { got = append(got, string(b)) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[r1 r2 r3]" {
		t.Fatalf("Each: %v", got)
	}
}
