package host

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

// TestDeadlineReturnsFromDetachedCall: without interruption, a caller whose
// deadline passes during a large call gets the deadline error at once; the
// guest finishes in the background and its instance goes back to the pool.
func TestDeadlineReturnsFromDetachedCall(t *testing.T) {
	// The test needs the caller to see its deadline while the guest still
	// runs. On a loaded machine the caller can stall past the whole call,
	// or past the deadline before the call starts: such attempts are
	// repeated (untilDecisive).
	untilDecisive(t, deadlineReturnsFromDetachedCall)
}

// deadlineReturnsFromDetachedCall runs one attempt of
// TestDeadlineReturnsFromDetachedCall on a fresh engine. It fails t on a
// wrong outcome and returns a reason when the outcome says nothing.
func deadlineReturnsFromDetachedCall(t *testing.T) (inconclusive string) {
	e := newEngine(t, WithMaxInstances(1), WithMaxInput(64<<20))
	src := imageBody(12 << 20)
	var d decoder.Decoder
	want := native(t, &d, src, decoder.Auto)

	// A context that can end but does not: the detached path, same bytes.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Twice: the first call grows the instance's memory and is several
	// times slower than the next ones, which the deadline must undercut.
	var full time.Duration
	for range 2 {
		start := time.Now()
		got, m, err := e.AppendDecode(ctx, nil, src, decoder.Auto)
		full = time.Since(start)
		if r := toResult(t, got, m, err); !r.Equal(want) {
			t.Fatalf("detached call differs from native: %+v / %+v", r, want)
		}
	}
	if full < 20*time.Millisecond {
		t.Skipf("decoding the slow body took only %v: too fast to abandon reliably", full)
	}

	ctx, cancel = context.WithTimeout(context.Background(), full/10)
	defer cancel()
	buf := make([]byte, 0, 16)
	start := time.Now()
	out, _, err := e.AppendDecode(ctx, buf, src, decoder.Auto)
	took := time.Since(start)
	// The guest must still be busy with the call the caller gave up on:
	// the caller got control back at its deadline, not when the guest
	// finished. (A bound on took alone fails on a loaded machine, where
	// the scheduler may delay the return well past the deadline.)
	busy := e.Stats().Idle == 0
	if err == nil && took >= full/2 {
		return fmt.Sprintf("the call ended (after %v) before its caller saw the deadline (%v)", took, full/10)
	}
	if code(err) != decoder.CodeInternal || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("got %v after %v, want an internal deadline error", err, took)
	}
	if len(out) != 0 {
		t.Fatalf("an abandoned call returned %d bytes", len(out))
	}
	if s := e.Stats(); s.Abandoned == 0 && s.Idle == 1 && s.Created == 1 {
		// Ended before the call began: nothing ran, nothing to abandon.
		return fmt.Sprintf("the deadline (%v) passed before the call started (returned after %v)", full/10, took)
	}
	if !busy {
		// Either the caller waited for the guest (the bug this test is
		// for) or it stalled until the guest had finished.
		return fmt.Sprintf("deadline %v: returned after %v, once the guest had finished (the full call takes %v)", full/10, took, full)
	}
	// The caller owns src again: scribbling on it must not change what
	// the background call decodes (it was copied into the guest first).
	for i := range src {
		src[i] = 'x'
	}
	t.Logf("full call %v; caller returned after %v", full, took)
	if s := e.Stats(); s.Abandoned != 1 {
		t.Fatalf("stats %+v, want 1 abandoned call", s)
	}
	// One instance only: this waits for the abandoned call to end, which
	// proves its instance came back healthy rather than leaking.
	small := fixtures(t)[0]
	got, m, err := e.AppendDecode(context.Background(), nil, small.Body, small.Dialect)
	if !toResult(t, got, m, err).Equal(native(t, &d, small.Body, small.Dialect)) {
		t.Fatalf("after an abandoned call: output differs from native (err %v)", err)
	}
	if s := e.Stats(); s.Created != 1 || s.Discarded != 0 || s.Live != 1 {
		t.Fatalf("stats %+v, want the same instance reused", s)
	}
	return ""
}

// imageBody is an eyun image callback of about n bytes, nearly all of them
// an inline base64 thumbnail: the largest kind of body vendors send.
func imageBody(n int) []byte {
	img := strings.Repeat("/9j/4AAQSkZJRgABAQAASABIAAD", n/27)
	return []byte(`{"account":"1","data":{"content":"<msg><img aeskey=\"k\" length=\"1\"/></msg>","fromUser":"wxid_a","img":"` +
		img + `","msgId":1,"msgType":3,"newMsgId":2,"timestamp":1619157875,"toUser":"wxid_b"},"messageType":6,"wcId":"wxid_b"}`)
}

// TestSmallCallsStayInline: bodies under the detach size never start a
// goroutine, whatever the context (the zero-allocation path).
func TestSmallCallsStayInline(t *testing.T) {
	e := newEngine(t, WithMaxInstances(1))
	f := fixtures(t)[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dst := make([]byte, 0, 64<<10)
	if _, _, err := e.AppendDecode(ctx, dst, f.Body, f.Dialect); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(200, func() {
		e.AppendDecode(ctx, dst[:0], f.Body, f.Dialect)
	}); n != 0 {
		t.Fatalf("%v allocations per call with a cancellable context", n)
	}
}

// TestCloseWhileCalling closes engines while goroutines decode through
// them: afterwards every instance is closed and every slot free, whichever
// way each call raced with Close. Each round starts instances (most of its
// cost): 30 rounds with WXHOOK_LONG_TESTS=1, 10 by default, which still
// cover every sleep before Close (round%5).
func TestCloseWhileCalling(t *testing.T) {
	fs := fixtures(t)
	rounds := 10
	if conformance.Long() {
		rounds = 30
	}
	for round := 0; round < rounds; round++ {
		e, err := New(context.Background(), WithCompilationCache(testCache), WithMaxInstances(3))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := 0; g < 6; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				var dst []byte
				for i := g; ; i++ {
					f := fs[i%len(fs)]
					if _, _, err := e.AppendDecode(context.Background(), dst[:0], f.Body, f.Dialect); err != nil &&
						strings.Contains(err.Error(), "closed") {
						return
					}
				}
			}(g)
		}
		time.Sleep(time.Duration(round%5) * time.Millisecond)
		if err := e.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if s := e.Stats(); s.Live != 0 || s.Idle != 0 {
			t.Fatalf("round %d: after Close and every call: %+v, want no live instance", round, s)
		}
	}
}

// endedCtx is a context that is already done but whose first Err reports
// nothing: it stands for a deadline that passes between AppendDecode's check
// and the moment an instance is in hand.
type endedCtx struct {
	context.Context
	asked bool
}

func (c *endedCtx) Err() error {
	if !c.asked {
		c.asked = true
		return nil
	}
	return c.Context.Err()
}

// TestNoDetachedCallAfterDeadline: a context that ended while waiting for an
// instance starts no detached call (which would decode for nobody).
func TestNoDetachedCallAfterDeadline(t *testing.T) {
	e := newEngine(t, WithMaxInstances(1))
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := e.AppendDecode(&endedCtx{Context: ended}, nil, imageBody(1<<20), decoder.Auto)
	if code(err) != decoder.CodeInternal || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("got %v, want an internal cancellation error", err)
	}
	if s := e.Stats(); s.Abandoned != 0 || s.Discarded != 0 || s.Idle != 1 {
		t.Fatalf("stats %+v: want no call started and the instance idle", s)
	}
}

// TestCloseRefusesQueuedCalls: a caller waiting for an instance when Close
// starts is refused, not served by the instance Close is waiting for (nor
// by a new one).
func TestCloseRefusesQueuedCalls(t *testing.T) {
	e, err := New(context.Background(), WithCompilationCache(testCache), WithMaxInstances(1))
	if err != nil {
		t.Fatal(err)
	}
	held, err := e.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := fixtures(t)[0]
	queued := make(chan error, 1)
	go func() {
		_, _, err := e.AppendDecode(context.Background(), nil, f.Body, f.Dialect)
		queued <- err
	}()
	for e.busy.Load() < 2 { // the caller is counted, then waits for the instance
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- e.Close(context.Background()) }()
	for !e.closed.Load() {
		time.Sleep(time.Millisecond)
	}
	e.release(held)
	if err := <-queued; code(err) != decoder.CodeInternal || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("queued call: got %v, want the engine-closed error", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if s := e.Stats(); s.Live != 0 || s.Created != 1 {
		t.Fatalf("stats %+v: want no instance left and none started after Close", s)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
