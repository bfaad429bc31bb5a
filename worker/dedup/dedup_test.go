package dedup

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wxhook/wxhook/worker/internal/testsrv"
)

var ctx = context.Background()

func must(t *testing.T, st State, err error, want State) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if st != want {
		t.Fatalf("state %v, want %v", st, want)
	}
}

// protocol checks reserve → deliver → commit/release on any store.
func protocol(t *testing.T, s Store) {
	k := []byte("eyun:wxid_a:769189154845429899:1619157348")
	st, err := s.Reserve(ctx, k)
	must(t, st, err, Reserved)
	st, err = s.Reserve(ctx, k)
	must(t, st, err, InFlight)
	// Delivery failed: the retry must be delivered, not dropped.
	if err := s.Release(ctx, k); err != nil {
		t.Fatal(err)
	}
	st, err = s.Reserve(ctx, k)
	must(t, st, err, Reserved)
	if err := s.Commit(ctx, k); err != nil {
		t.Fatal(err)
	}
	st, err = s.Reserve(ctx, k)
	must(t, st, err, Duplicate)
	// Release of a committed key must not forget it.
	if err := s.Release(ctx, k); err != nil {
		t.Fatal(err)
	}
	st, err = s.Reserve(ctx, k)
	must(t, st, err, Duplicate)

	// Concurrent reservations of one key: exactly one wins.
	k2 := []byte("dll:1:2")
	var mu sync.Mutex
	won := 0
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := s.Reserve(ctx, k2)
			if err == nil && st == Reserved {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d concurrent reservations won, want 1", won)
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestLocalProtocol(t *testing.T) {
	s, err := OpenLocal(filepath.Join(t.TempDir(), "d.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	protocol(t, s)
}

func TestLocalPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenLocal(path, Options{FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		k := fmt.Appendf(nil, "k%d", i)
		s.Reserve(ctx, k)
		s.Commit(ctx, k)
	}
	s.Reserve(ctx, []byte("inflight")) // claims are not persisted
	if err := s.Close(); err != nil {  // Close flushes
		t.Fatal(err)
	}
	s, err = OpenLocal(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 100 {
		t.Fatalf("reloaded %d keys, want 100", s.Len())
	}
	st, err := s.Reserve(ctx, []byte("k42"))
	must(t, st, err, Duplicate)
	st, err = s.Reserve(ctx, []byte("inflight"))
	must(t, st, err, Reserved)
}

func TestLocalFlushesInBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenLocal(path, Options{FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Reserve(ctx, []byte("a"))
	s.Commit(ctx, []byte("a"))
	time.Sleep(100 * time.Millisecond)
	// Read the file as a restart would, while s still runs: bbolt's lock
	// forbids a second open, so check the pending list instead.
	s.mu.Lock()
	pending := len(s.pending)
	s.mu.Unlock()
	s.Close()
	if pending != 0 {
		t.Fatalf("%d keys not flushed after 10 intervals", pending)
	}
}

func TestLocalTTLAndBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenLocal(path, Options{TTL: 50 * time.Millisecond, MaxKeys: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		k := fmt.Appendf(nil, "k%d", i)
		s.Reserve(ctx, k)
		s.Commit(ctx, k)
	}
	if s.Len() != 10 {
		t.Fatalf("%d keys kept, want the bound 10", s.Len())
	}
	st, err := s.Reserve(ctx, []byte("k0")) // evicted: oldest
	must(t, st, err, Reserved)
	st, err = s.Reserve(ctx, []byte("k24"))
	must(t, st, err, Duplicate)
	time.Sleep(80 * time.Millisecond)
	st, err = s.Reserve(ctx, []byte("k24")) // expired
	must(t, st, err, Reserved)
	s.Close()
	s, err = OpenLocal(path, Options{TTL: 50 * time.Millisecond, MaxKeys: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 0 {
		t.Fatalf("expired keys reloaded: %d", s.Len())
	}
}

func TestLocalLeaseExpires(t *testing.T) {
	s, err := OpenLocal(filepath.Join(t.TempDir(), "d.db"), Options{Lease: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Reserve(ctx, []byte("a"))
	time.Sleep(40 * time.Millisecond)
	st, err := s.Reserve(ctx, []byte("a"))
	must(t, st, err, Reserved)
}

func TestLocalSecondOpenFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenLocal(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := OpenLocal(path, Options{}); err == nil {
		t.Fatal("a second worker opened the same dedup file")
	}
}

func TestRedisProtocol(t *testing.T) {
	url := testsrv.Redis(t)
	s, err := Open(ctx, url, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	protocol(t, s)

	// Two replicas share one view; one cannot release the other's claim.
	s2, err := Open(ctx, url, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	k := []byte("wecom:x:y")
	st, err := s.Reserve(ctx, k)
	must(t, st, err, Reserved)
	st, err = s2.Reserve(ctx, k)
	must(t, st, err, InFlight)
	s2.Release(ctx, k)
	st, err = s2.Reserve(ctx, k)
	must(t, st, err, InFlight)
	s.Commit(ctx, k)
	st, err = s2.Reserve(ctx, k)
	must(t, st, err, Duplicate)
}

func TestRedisTTL(t *testing.T) {
	s, err := Open(ctx, testsrv.Redis(t), "", Options{TTL: 100 * time.Millisecond, Lease: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Reserve(ctx, []byte("a"))
	s.Commit(ctx, []byte("a"))
	s.Reserve(ctx, []byte("b")) // claim never committed: a crashed replica
	time.Sleep(250 * time.Millisecond)
	st, err := s.Reserve(ctx, []byte("a"))
	must(t, st, err, Reserved)
	st, err = s.Reserve(ctx, []byte("b"))
	must(t, st, err, Reserved)
}

func TestRedisDown(t *testing.T) {
	if _, err := Open(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", testsrv.FreePort(t)), "", Options{}); err == nil {
		t.Fatal("Open succeeded without a server")
	}
	if _, err := Open(ctx, "bogus://x", "", Options{}); err == nil {
		t.Fatal("unknown store accepted")
	}
}

// crash stops l like a kill -9 would: no final flush.
func crash(l *Local) {
	close(l.stop)
	<-l.done
	l.db.Close()
	l.journal.close()
}

func TestLocalSurvivesCrashBeforeFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenLocal(path, Options{FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s.Reserve(ctx, []byte("flushed"))
	s.Commit(ctx, []byte("flushed"))
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		k := fmt.Appendf(nil, "journal-%d", i)
		s.Reserve(ctx, k)
		s.Commit(ctx, k)
	}
	crash(s)
	// A torn record at the end of the journal, as a crash mid-write leaves.
	b, _ := os.ReadFile(path + ".journal")
	end := len(bytes.TrimRight(b, "\x00"))
	f, _ := os.OpenFile(path+".journal", os.O_WRONLY, 0)
	f.WriteAt([]byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 40, 'x'}, int64(end))
	f.Close()

	s, err = OpenLocal(path, Options{FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 51 {
		t.Fatalf("%d keys after the crash, want 51", s.Len())
	}
	for _, k := range []string{"flushed", "journal-0", "journal-49"} {
		st, err := s.Reserve(ctx, []byte(k))
		must(t, st, err, Duplicate)
	}
	// The journal's keys reach bbolt on the next flush and the journal empties.
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path + ".journal"); len(bytes.Trim(b, "\x00")) != 0 {
		t.Fatalf("journal holds records after a flush: %q", bytes.Trim(b, "\x00"))
	}
	crash(s)
	s, err = OpenLocal(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 51 {
		t.Fatalf("%d keys after the second crash, want 51", s.Len())
	}
}
