package dedup

import (
	"testing"
	"time"

	"github.com/wxhook/wxhook/worker/internal/testsrv"
)

// A commit Redis does not take is kept and made once Redis answers: by the
// retry goroutine, or by a Reserve of the same key, which then finds it a
// duplicate.
func TestRedisCommitDuringOutageIsKept(t *testing.T) {
	r := testsrv.StartPausableRedis(t)
	s, err := OpenRedis(ctx, r.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k1, k2 := []byte("dll:r:1"), []byte("dll:r:2")
	for _, k := range [][]byte{k1, k2} {
		st, _, err := s.Reserve(ctx, k)
		must(t, st, err, Reserved)
	}
	r.Pause(t, time.Second)
	for _, k := range [][]byte{k1, k2} {
		if err := s.Commit(ctx, k, Claim{}); err == nil {
			t.Fatal("Commit succeeded while Redis was paused")
		}
	}
	if n := s.Pending(); n != 2 {
		t.Fatalf("%d commits pending, want 2", n)
	}
	if _, _, err := s.Reserve(ctx, k1); err == nil {
		t.Fatal("Reserve of a pending key succeeded while Redis was paused")
	}
	r.WaitBack(t) // returns when the pause ends
	// k1 right away, through Reserve; k2 by the retry goroutine.
	st, _, err := s.Reserve(ctx, k1)
	must(t, st, err, Duplicate)
	deadline := time.Now().Add(10 * time.Second)
	for s.Pending() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d commits still pending", s.Pending())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, k := range [][]byte{k1, k2} {
		if v, err := r.Admin.Get(ctx, "wxhook:dedup:"+string(k)).Result(); err != nil || v != "done" {
			t.Fatalf("%s holds %q (%v), want done", k, v, err)
		}
	}
}

// Close records the pending commits if Redis answers within its grace, and
// says how many it could not otherwise.
func TestRedisCloseFlushesPendingCommits(t *testing.T) {
	r := testsrv.StartPausableRedis(t)
	s, err := OpenRedis(ctx, r.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Pause(t, 700*time.Millisecond)
	if err := s.Commit(ctx, []byte("k"), Claim{}); err == nil {
		t.Fatal("Commit succeeded while Redis was paused")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if v, err := r.Admin.Get(ctx, "wxhook:dedup:k").Result(); err != nil || v != "done" {
		t.Fatalf("k holds %q (%v), want done", v, err)
	}
}
