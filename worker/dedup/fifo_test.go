package dedup

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestFIFOOrder pushes and pops across block boundaries, emptying the FIFO
// on the way (the front block is then recycled), and checks that items come
// out in the order they went in.
func TestFIFOOrder(t *testing.T) {
	var f fifo
	next, out := int64(1), int64(1)
	push := func(n int) {
		for range n {
			f.push(item{exp: next})
			next++
		}
	}
	pop := func(n int) {
		for range n {
			if got := f.front().exp; got != out {
				t.Fatalf("front %d, want %d", got, out)
			}
			f.pop()
			out++
		}
	}
	for _, step := range []struct{ push, pop int }{
		{fifoBlock*2 + 10, fifoBlock - 1}, {0, 2}, {5, fifoBlock + 14}, // empty
		{1, 1}, {fifoBlock, 0}, {3 * fifoBlock, 2*fifoBlock + 1}, {0, 2*fifoBlock - 1}, // empty
	} {
		push(step.push)
		pop(step.pop)
		if f.len() != int(next-out) {
			t.Fatalf("len %d, want %d", f.len(), next-out)
		}
	}
	if f.len() != 0 || len(f.blocks) != 0 {
		t.Fatalf("not empty: len %d, %d blocks", f.len(), len(f.blocks))
	}
}

// TestLocalBoundOverBlocks keeps the newest MaxKeys keys when the FIFO
// spans several blocks, in memory and after a restart.
func TestLocalBoundOverBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	const max, n = 2*fifoBlock + 100, 5*fifoBlock + 7
	opt := Options{MaxKeys: max, FlushInterval: time.Hour}
	s, err := OpenLocal(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	key := func(i int) []byte { return fmt.Appendf(nil, "k%d", i) }
	for i := range n {
		if err := s.Commit(ctx, key(i), Claim{}); err != nil {
			t.Fatal(err)
		}
	}
	check := func() {
		t.Helper()
		if s.Len() != max {
			t.Fatalf("%d keys kept, want %d", s.Len(), max)
		}
		for _, i := range []int{0, n - max - 1} {
			st, c, err := s.Reserve(ctx, key(i))
			must(t, st, err, Reserved) // evicted
			s.Release(ctx, key(i), c)
		}
		for _, i := range []int{n - max, n - 1} {
			st, _, err := s.Reserve(ctx, key(i))
			must(t, st, err, Duplicate)
		}
	}
	check()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = OpenLocal(path, opt); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check()
}
