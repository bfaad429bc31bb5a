package host

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

// TestDispatcherMatchesEngine: through a Dispatcher over the wazero engine,
// every fixture decodes to the native decoder's bytes and Meta, from
// several goroutines at once; dst is kept and DedupKey aliases the
// returned buffer.
func TestDispatcherMatchesEngine(t *testing.T) {
	e := newEngine(t, WithMaxInstances(2))
	d := NewDispatcher(e, 1)
	defer d.Close(context.Background())
	fs := fixtures(t)
	want := make([]conformance.Result, len(fs))
	var nd decoder.Decoder
	for i, f := range fs {
		want[i] = native(t, &nd, f.Body, f.Dialect)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prefix := []byte("g" + string(rune('0'+g)) + ":")
			for i, f := range fs {
				out, m, err := d.AppendDecode(context.Background(), prefix, f.Body, f.Dialect)
				if !bytes.HasPrefix(out, prefix) {
					t.Errorf("%s: dst not kept: %.40q", f.Name, out)
					return
				}
				if err == nil {
					out = out[len(prefix):]
				}
				if got := toResult(t, out, m, err); !got.Equal(want[i]) || !bytes.Equal(got.Account, want[i].Account) {
					t.Errorf("%s via the dispatcher:\n %s\nwant\n %s", f.Name, got.JSON, want[i].JSON)
				}
				if len(m.DedupKey) > 0 && &m.DedupKey[0] != &out[bytes.Index(out, m.DedupKey)] {
					t.Errorf("%s: DedupKey does not alias the returned buffer", f.Name)
				}
				if len(m.Account) > 0 && &m.Account[0] != &out[bytes.Index(out, []byte(`"account":"`+string(m.Account)))+len(`"account":"`)] {
					t.Errorf("%s: Account does not alias the returned buffer", f.Name)
				}
			}
		}()
	}
	wg.Wait()
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// gateEngine is a decoder.Engine whose decodes wait for the test: it
// reports each call's body on started, waits for release, then decodes
// natively.
type gateEngine struct {
	started chan string
	release chan struct{}
	mu      sync.Mutex
	d       decoder.Decoder
}

func (g *gateEngine) AppendDecode(ctx context.Context, dst, src []byte, dialect decoder.Dialect) ([]byte, decoder.Meta, error) {
	g.started <- string(src)
	<-g.release
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.d.AppendDecode(dst, src, dialect)
}

func (g *gateEngine) Close(context.Context) error { return nil }

// TestDispatcherAbandonedCalls: a caller whose context ends returns at once
// with the context's error, whether its decode was running or still queued;
// a queued one is never run, a running one never writes to the caller's
// memory, and the next call gets its own, right answer.
func TestDispatcherAbandonedCalls(t *testing.T) {
	g := &gateEngine{started: make(chan string, 8), release: make(chan struct{})}
	d := NewDispatcher(g, 1)
	defer d.Close(context.Background())
	f := fixtures(t)[0]
	var nd decoder.Decoder
	want := native(t, &nd, f.Body, f.Dialect)

	// Call A runs (the gate holds it); call B waits in the queue.
	ctxA, cancelA := context.WithCancel(context.Background())
	ctxB, cancelB := context.WithCancel(context.Background())
	dstA := make([]byte, 0, 64<<10)
	srcA := bytes.Clone(f.Body)
	errs := make(chan error, 2)
	go func() { _, _, err := d.AppendDecode(ctxA, dstA, srcA, f.Dialect); errs <- err }()
	if got := <-g.started; got != string(f.Body) {
		t.Fatalf("started %.40q", got)
	}
	go func() { _, _, err := d.AppendDecode(ctxB, nil, []byte(`{"queued":true}`), decoder.Auto); errs <- err }()
	waitUntil(t, "B queued", func() bool { return len(d.jobs) == 1 })
	cancelB()
	cancelA()
	for range 2 {
		if err := <-errs; code(err) != decoder.CodeInternal || !strings.Contains(err.Error(), "canceled") {
			t.Fatalf("abandoned call: %v, want an internal cancellation error", err)
		}
	}
	// The callers own their memory again.
	for i := range srcA {
		srcA[i] = 'x'
	}
	close(g.release) // A finishes in the background; B is skipped

	out, m, err := d.AppendDecode(context.Background(), nil, f.Body, f.Dialect)
	if r := toResult(t, out, m, err); !r.Equal(want) {
		t.Fatalf("call after abandoned ones: %s, want %s", r.JSON, want.JSON)
	}
	if got := dstA[:cap(dstA)]; bytes.ContainsAny(got, "{}") {
		t.Fatal("an abandoned decode wrote into its caller's dst")
	}
	close(g.started)
	var ran []string
	for s := range g.started {
		ran = append(ran, s)
	}
	if len(ran) != 1 || ran[0] != string(f.Body) {
		t.Fatalf("after A, the engine ran %.60q; want only the last call (B was abandoned in the queue)", ran)
	}
}

// TestDispatcherClose: Close waits for queued work, closes the engine, and
// later calls fail with an internal error instead of hanging.
func TestDispatcherClose(t *testing.T) {
	e, err := New(context.Background(), WithMaxInstances(1), WithCompilationCache(testCache))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(e, 2)
	f := fixtures(t)[0]
	if _, _, err := d.AppendDecode(context.Background(), nil, f.Body, f.Dialect); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.AppendDecode(context.Background(), nil, f.Body, f.Dialect); code(err) != decoder.CodeInternal {
		t.Fatalf("after Close: %v, want an internal error", err)
	}
	if _, _, err := e.AppendDecode(context.Background(), nil, f.Body, f.Dialect); code(err) != decoder.CodeInternal {
		t.Fatalf("engine after the dispatcher's Close: %v, want it closed", err)
	}
}

// TestDispatcherAllocs: a typical callback through the dispatcher, warm,
// allocates nothing.
func TestDispatcherAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	d := NewDispatcher(newEngine(t, WithMaxInstances(1)), 1)
	defer d.Close(context.Background())
	f := fixtures(t)[0]
	dst := make([]byte, 0, 64<<10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 3 {
		d.AppendDecode(ctx, dst[:0], f.Body, f.Dialect)
	}
	if n := testing.AllocsPerRun(200, func() { d.AppendDecode(ctx, dst[:0], f.Body, f.Dialect) }); n != 0 {
		t.Fatalf("%v allocations per call", n)
	}
}

// closeEngine records Close and panics on a body of "panic".
type closeEngine struct {
	gateEngine
	closed chan struct{}
}

func (c *closeEngine) AppendDecode(ctx context.Context, dst, src []byte, dialect decoder.Dialect) ([]byte, decoder.Meta, error) {
	if string(src) == "panic" {
		panic("engine bug")
	}
	return c.gateEngine.AppendDecode(ctx, dst, src, dialect)
}

func (c *closeEngine) Close(context.Context) error { close(c.closed); return nil }

// TestDispatcherPanicAndCloseDeadline: a panic in the engine is the call's
// internal error, not a crash; a Close whose context ends while a decode
// still runs returns that error and still closes the engine.
func TestDispatcherPanicAndCloseDeadline(t *testing.T) {
	c := &closeEngine{gateEngine: gateEngine{started: make(chan string, 8), release: make(chan struct{})}, closed: make(chan struct{})}
	d := NewDispatcher(c, 1)
	if _, _, err := d.AppendDecode(context.Background(), nil, []byte("panic"), decoder.Auto); code(err) != decoder.CodeInternal || !strings.Contains(err.Error(), "engine bug") {
		t.Fatalf("panicking engine: %v, want an internal error", err)
	}
	go d.AppendDecode(context.Background(), nil, []byte("{}"), decoder.Auto)
	<-c.started // the dispatcher is busy and stays so
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Close(ctx); err == nil {
		t.Fatal("Close with an ended context and a decode running returned nil")
	}
	select {
	case <-c.closed:
	default:
		t.Fatal("the engine was not closed")
	}
	close(c.release)
}
