package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

func newEngine(t *testing.T, opts ...Option) *Engine {
	t.Helper()
	e, err := New(context.Background(), append([]Option{WithCompilationCache(testCache)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

func code(err error) decoder.Code {
	var de *decoder.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

func TestFixturesMatchNative(t *testing.T) {
	e := sharedEngine(t)
	var d decoder.Decoder
	for _, f := range fixtures(t) {
		want := native(t, &d, f.Body, f.Dialect)
		got := viaHost(t, e, f.Body, f.Dialect)
		conformance.Check(t, "wazero (stale host/wxhook.wasm? run ./build.sh)", f, got, want)
		conformance.CheckAccount(t, "wazero", f, got, want)
	}
}

func TestAppendKeepsDstAndDedupAliases(t *testing.T) {
	e := sharedEngine(t)
	f := fixtures(t)
	var src []byte
	for _, x := range f {
		if x.Name == "wecom/seed_text_private" {
			src = x.Body
		}
	}
	if src == nil {
		t.Skip("fixture wecom/seed_text_private is missing")
	}
	dst := []byte("prefix:")
	out, m, err := e.AppendDecode(context.Background(), dst, src, decoder.Auto)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("prefix:{")) {
		t.Fatalf("dst not kept: %q", out)
	}
	if len(m.DedupKey) == 0 || !bytes.Contains(out, append(append([]byte(`"dedup_key":"`), m.DedupKey...), '"')) {
		t.Fatalf("dedup key %q not found in %s", m.DedupKey, out)
	}
	// DedupKey aliases out, as decoder.Meta documents.
	k := &m.DedupKey[0]
	found := false
	for i := range out {
		if &out[i] == k {
			found = true
		}
	}
	if !found {
		t.Fatal("DedupKey does not alias the returned buffer")
	}
	// So does Account (read from the header's account fields), here of an
	// event that has one.
	for _, x := range f {
		if x.Name == "eyun/seed_text_private" {
			out, m, err := e.AppendDecode(context.Background(), dst, x.Body, decoder.Auto)
			if err != nil {
				t.Fatal(err)
			}
			at := bytes.Index(out, []byte(`"account":"`)) + len(`"account":"`)
			if len(m.Account) == 0 || &m.Account[0] != &out[at] || !bytes.HasPrefix(out[at:], append(m.Account, '"')) {
				t.Fatalf("Account %q is not the output's account field: %s", m.Account, out)
			}
		}
	}
	// An error leaves dst as it was.
	out2, _, err := e.AppendDecode(context.Background(), out, []byte("{"), decoder.Auto)
	if code(err) != decoder.CodeNotJSON || !bytes.Equal(out2, out) {
		t.Fatalf("error path: %v, dst changed=%v", err, !bytes.Equal(out2, out))
	}
}

func TestTooLarge(t *testing.T) {
	e := newEngine(t, WithMaxInput(100))
	_, _, err := e.AppendDecode(context.Background(), nil, bytes.Repeat([]byte(" "), 101), decoder.Eyun)
	var de *decoder.Error
	if !errors.As(err, &de) || de.Code != decoder.CodeTooLarge || de.Vendor != decoder.Eyun {
		t.Fatalf("got %v, want too_large for eyun", err)
	}
	if _, _, err := e.AppendDecode(context.Background(), nil, bytes.Repeat([]byte(" "), 100), decoder.Eyun); code(err) != decoder.CodeEmpty {
		t.Fatalf("100 bytes of blanks: got %v, want empty", err)
	}
}

func TestGrowsInputBuffer(t *testing.T) {
	e := sharedEngine(t)
	var d decoder.Decoder
	// Larger than the guest's initial 64 KiB input buffer; a JSON string
	// value in an unknown dialect keeps it cheap.
	src := []byte(`{"x":"` + strings.Repeat("a", 300<<10) + `"}`)
	for range 2 {
		if got, want := viaHost(t, e, src, decoder.Auto), native(t, &d, src, decoder.Auto); !got.Equal(want) {
			t.Fatalf("300 KiB body: wasm %.200s, native %.200s", got.JSON, want.JSON)
		}
	}
}

func TestCancelledContextBeforeCall(t *testing.T) {
	e := newEngine(t, WithMaxInstances(1))
	src := fixtures(t)[0].Body
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := e.AppendDecode(ctx, nil, src, decoder.Auto)
	if code(err) != decoder.CodeInternal || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("cancelled ctx: got %v, want an internal cancellation error", err)
	}
	// The instance was never entered, so it stays.
	if s := e.Stats(); s.Discarded != 0 || s.Live != 1 || s.Created != 1 {
		t.Fatalf("after cancel: %+v", s)
	}
	if _, _, err := e.AppendDecode(context.Background(), nil, src, decoder.Auto); code(err) == decoder.CodeInternal {
		t.Fatalf("after cancel: %v", err)
	}
}

// slowBody is a body of 6n+8 bytes the decoder needs long to read: a string
// of n \u escapes under a key no dialect knows.
func slowBody(n int) []byte {
	return []byte(`{"x":"` + strings.Repeat(`\u00e9`, n) + `"}`)
}

func TestDeadlineStopsRunningCall(t *testing.T) {
	// A deadline that passes before the guest is entered (this goroutine
	// stalled for longer than the deadline, which a loaded machine does)
	// tests nothing about stopping a running call: that attempt is
	// repeated (untilDecisive).
	untilDecisive(t, deadlineStopsRunningCall)
}

// deadlineStopsRunningCall runs one attempt of TestDeadlineStopsRunningCall
// on a fresh engine. It fails t on a wrong outcome and returns a reason when
// the outcome says nothing either way.
func deadlineStopsRunningCall(t *testing.T) (inconclusive string) {
	e := newEngine(t, WithMaxInstances(1), WithMaxInput(64<<20), WithCloseOnContextDone(true))
	src := slowBody(2 << 20) // 12 MiB
	// Twice, keeping the faster: the first call grows the instance's
	// memory and can take several times as long as the next, which the
	// deadline must undercut.
	full := time.Duration(1<<63 - 1)
	for range 2 {
		start := time.Now()
		if _, _, err := e.AppendDecode(context.Background(), nil, src, decoder.Auto); code(err) == decoder.CodeInternal {
			t.Fatal(err)
		}
		full = min(full, time.Since(start))
	}
	if full < 20*time.Millisecond {
		t.Skipf("decoding the slow body took only %v: too fast to cancel reliably", full)
	}
	ctx, cancel := context.WithTimeout(context.Background(), full/5)
	defer cancel()
	start := time.Now()
	_, _, err := e.AppendDecode(ctx, nil, src, decoder.Auto)
	took := time.Since(start)
	if code(err) != decoder.CodeInternal || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("deadline %v (full call %v): got %v after %v, want an internal deadline error", full/5, full, err, took)
	}
	s := e.Stats()
	if s.Discarded == 0 && s.Live == 1 && s.Idle == 1 {
		// The context had ended when the call came to the guest: nothing
		// ran, and the instance rightly stays (statusNotRun).
		return fmt.Sprintf("the deadline (%v) passed before the guest was entered (returned after %v)", full/5, took)
	}
	if s.Discarded != 1 || s.Live != 0 {
		t.Fatalf("stats %+v, want the cancelled instance discarded", s)
	}
	t.Logf("full call %v; cancelled after %v", full, took)
	if _, _, err := e.AppendDecode(context.Background(), nil, []byte(`{}`), decoder.Auto); code(err) == decoder.CodeInternal {
		t.Fatalf("after cancellation: %v", err)
	}
	if s := e.Stats(); s.Created != 2 || s.Live != 1 {
		t.Fatalf("stats %+v, want a fresh instance", s)
	}
	return ""
}

func TestPoolBoundUnderConcurrency(t *testing.T) {
	const max = 2
	e := newEngine(t, WithMaxInstances(max))
	fs := fixtures(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var peak int
	var mu sync.Mutex
	go func() { // sample Live while the callers run
		for {
			select {
			case <-stop:
				return
			default:
			}
			if l := e.Stats().Live; l > peak {
				mu.Lock()
				peak = l
				mu.Unlock()
			}
			time.Sleep(50 * time.Microsecond)
		}
	}()
	for g := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d decoder.Decoder
			for i := range 20 {
				f := fs[(g*7+i)%len(fs)]
				out, m, err := e.AppendDecode(context.Background(), nil, f.Body, f.Dialect)
				if code(err) == decoder.CodeInternal {
					t.Error(err)
					return
				}
				if got, want := toResult(t, out, m, err), native(t, &d, f.Body, f.Dialect); !got.Equal(want) {
					t.Errorf("%s: concurrent result differs", f.Name)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	s := e.Stats()
	mu.Lock()
	defer mu.Unlock()
	if s.Created > max || peak > max || s.Live > max {
		t.Fatalf("bound %d broken: %+v, peak live %d", max, s, peak)
	}
	if s.Idle != s.Live {
		t.Fatalf("instances not returned: %+v", s)
	}
}

func TestWaitForInstanceHonoursContext(t *testing.T) {
	e := newEngine(t, WithMaxInstances(1))
	inst, err := e.acquire(context.Background()) // hold the only instance
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err = e.AppendDecode(ctx, nil, []byte(`{}`), decoder.Auto)
	if code(err) != decoder.CodeInternal || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("waiting past the deadline: got %v", err)
	}
	if s := e.Stats(); s.Created != 1 || s.Live != 1 {
		t.Fatalf("a waiter must not start an instance beyond the bound: %+v", s)
	}
	e.release(inst)
	if _, _, err := e.AppendDecode(context.Background(), nil, []byte(`{}`), decoder.Auto); code(err) == decoder.CodeInternal {
		t.Fatal(err)
	}
}

// recordHandler keeps the messages and attributes logged through it.
type recordHandler struct {
	mu    sync.Mutex
	lines []string
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool {
		h.lines = append(h.lines, a.Value.String())
		return true
	})
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

func TestMemoryLimit(t *testing.T) {
	// Too small for the Go runtime to start: New must fail, not hang.
	if e, err := New(context.Background(), WithCompilationCache(testCache), WithMemoryLimitPages(8)); err == nil {
		e.Close(context.Background())
		t.Fatal("New succeeded with an 8-page (512 KiB) memory limit")
	}

	h := &recordHandler{}
	const pages = 160 // 10 MiB: the runtime starts in 6
	e := newEngine(t, WithMaxInstances(1), WithMemoryLimitPages(pages), WithLogger(slog.New(h)))
	// A 12 MiB body (under decoder.MaxInput) cannot fit in a 10 MiB memory:
	// the guest runs out of memory, the call fails as internal and the
	// instance is replaced.
	_, _, err := e.AppendDecode(context.Background(), nil, slowBody(12<<20/6), decoder.Auto)
	if code(err) != decoder.CodeInternal {
		t.Fatalf("body over the memory limit: got %v, want internal", err)
	}
	if s := e.Stats(); s.Discarded != 1 {
		t.Fatalf("stats %+v, want the failed instance discarded", s)
	}
	if _, _, err := e.AppendDecode(context.Background(), nil, []byte(`{}`), decoder.Auto); code(err) == decoder.CodeInternal {
		t.Fatalf("after replacement: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !strings.Contains(strings.Join(h.lines, "\n"), "out of memory") {
		t.Errorf("guest stderr did not reach the logger; got %q", h.lines)
	}
}

func TestClose(t *testing.T) {
	e, err := New(context.Background(), WithCompilationCache(testCache))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.AppendDecode(context.Background(), nil, []byte(`{}`), decoder.Auto); code(err) != decoder.CodeInternal {
		t.Fatalf("after Close: got %v, want internal", err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestAllocs pins the host's allocations per successful call: none of its
// own. With interruption on, wazero's per-call context watcher adds its own:
// 3 per call, and now and then a fourth on average over a run (the
// watcher's bookkeeping, not ours), so that case is a bound, not a count.
func TestAllocs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		interrupt bool
		want      float64 // at most
	}{{"interruptible", true, 4}, {"uninterruptible", false, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, WithMaxInstances(1), WithCloseOnContextDone(tc.interrupt))
			checked := 0
			for _, f := range fixtures(t) {
				if f.Dialect == decoder.Auto || !strings.Contains(f.Name, "text") {
					continue
				}
				dst := make([]byte, 0, 64<<10)
				ctx := context.Background()
				if _, _, err := e.AppendDecode(ctx, dst, f.Body, f.Dialect); err != nil {
					continue // only successful calls are promised this
				}
				checked++
				n := testing.AllocsPerRun(100, func() {
					if _, _, err := e.AppendDecode(ctx, dst[:0], f.Body, f.Dialect); err != nil {
						t.Fatal(err)
					}
				})
				if n > tc.want {
					t.Errorf("%s: %v allocs per call, want at most %v", f.Name, n, tc.want)
				}
			}
			if checked == 0 {
				t.Fatal("no text fixture decoded successfully")
			}
		})
	}
}

// TestInstanceFootprint bounds the linear memory of a warm instance: after
// every fixture and the parity corpus's first payloads it must stay under
// 16 MiB, so that a pool of GOMAXPROCS instances stays small.
func TestInstanceFootprint(t *testing.T) {
	e := newEngine(t, WithMaxInstances(1))
	inst := <-e.idle
	cold := inst.mem.Size()
	e.idle <- inst
	for _, p := range conformance.Parity(t, 3000)[:3000] { // the corpus, then generated payloads
		e.AppendDecode(context.Background(), nil, p.Body, p.Dialect)
	}
	inst = <-e.idle
	warm := inst.mem.Size()
	e.idle <- inst
	t.Logf("linear memory per instance: %d pages (%.1f MiB) after start, %d pages (%.1f MiB) warm",
		cold/65536, float64(cold)/(1<<20), warm/65536, float64(warm)/(1<<20))
	if warm > 16<<20 {
		t.Fatalf("warm instance uses %d bytes of linear memory, want < 16 MiB", warm)
	}
}

// Big bodies — an eyun image callback carries its thumbnail in base64 — are
// accepted up to decoder.MaxInput by both engines, with the same bytes; past
// it both answer with the same too_large error.
func TestLargeBodiesMatchNative(t *testing.T) {
	e := newEngine(t, WithMaxInstances(1))
	img := strings.Repeat("/9j/4AAQSkZJRgABAQAASABIAAD", 5<<20/27)
	big := []byte(`{"account":"1","data":{"content":"<msg><img aeskey=\"k\" length=\"1\"/></msg>","fromUser":"wxid_a","img":"` +
		img + `","msgId":1,"msgType":3,"newMsgId":2,"timestamp":1619157875,"toUser":"wxid_b"},"messageType":6,"wcId":"wxid_b"}`)
	over := append(bytes.Repeat([]byte(" "), decoder.MaxInput), big...)
	for _, body := range [][]byte{big, over} {
		var d decoder.Decoder
		want, _, werr := d.AppendDecode(nil, body, decoder.Auto)
		start := time.Now()
		got, _, gerr := e.AppendDecode(context.Background(), nil, body, decoder.Auto)
		t.Logf("%d bytes: wazero %v", len(body), time.Since(start))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%d bytes: native err %v, wazero err %v", len(body), werr, gerr)
		}
		if werr != nil {
			if !bytes.Equal(werr.(*decoder.Error).AppendJSON(nil), gerr.(*decoder.Error).AppendJSON(nil)) {
				t.Fatalf("errors differ: %v / %v", werr, gerr)
			}
			continue
		}
		if !bytes.Equal(want, got) {
			t.Fatalf("%d bytes: outputs differ (%d vs %d bytes)", len(body), len(want), len(got))
		}
	}
}

// TestDefaultCacheDir: $WXHOOK_WASM_CACHE names the directory, "off" turns
// the disk cache off, and unset means wxhook/wazero in the user cache
// directory (what README.md promises for `wxhook serve`).
func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("WXHOOK_WASM_CACHE", "/some/dir")
	if got := DefaultCacheDir(); got != "/some/dir" {
		t.Errorf("WXHOOK_WASM_CACHE=/some/dir: %q", got)
	}
	t.Setenv("WXHOOK_WASM_CACHE", "off")
	if got := DefaultCacheDir(); got != "" {
		t.Errorf("WXHOOK_WASM_CACHE=off: %q, want no disk cache", got)
	}
	t.Setenv("WXHOOK_WASM_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if got := DefaultCacheDir(); runtime.GOOS == "linux" && got != "/xdg/wxhook/wazero" {
		t.Errorf("unset, XDG_CACHE_HOME=/xdg: %q", got)
	}
}
