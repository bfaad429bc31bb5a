package forward

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/sink"
)

// downstream is a real HTTP server on 127.0.0.1 recording what it gets and
// answering with a status chosen per request.
type downstream struct {
	mu     sync.Mutex
	got    []string // dedup key + " " + body
	status func(n int) int
	calls  int
	srv    *http.Server
	url    string
}

func startDownstream(t *testing.T, status func(n int) int) *downstream {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &downstream{status: status, url: "http://" + ln.Addr().String() + "/events"}
	d.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		d.mu.Lock()
		d.calls++
		st := d.status(d.calls)
		if st == 200 {
			d.got = append(d.got, r.Header.Get("X-Wxhook-Dedup-Key")+" "+string(b))
		}
		d.mu.Unlock()
		if r.Header.Get("Content-Type") != "application/json" {
			st = 415
		}
		w.WriteHeader(st)
	})}
	go d.srv.Serve(ln)
	t.Cleanup(func() { d.srv.Close() })
	return d
}

func (d *downstream) received() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.got...)
}

func record(i int) sink.Record {
	key := fmt.Sprintf("eyun:w:%d:1", i)
	line := fmt.Sprintf(`{"vendor":"eyun","kind":"text","id":"%d","dedup_key":"%s"}`+"\n", i, key)
	start := strings.Index(line, key)
	return sink.Record{Line: []byte(line), Meta: decoder.Meta{Vendor: decoder.Eyun, Kind: decoder.KindText, DedupKey: []byte(line[start : start+len(key)])}}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var fast = Options{MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Timeout: 2 * time.Second}

// openSpooled opens a sink on dir forwarding to url with the fast options
// and the given concurrency, and spools record(0) … record(events-1).
func openSpooled(t *testing.T, url, dir string, concurrency, events int) *Sink {
	t.Helper()
	opt := fast
	opt.Concurrency = concurrency
	s, err := Open(url, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if err := s.Deliver(context.Background(), record(i)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestForwardInOrderWithHeader: Concurrency 0 (the default) and 1 send one
// event at a time, in spool order, with the dedup key header.
func TestForwardInOrderWithHeader(t *testing.T) {
	for _, n := range []int{0, 1} {
		t.Run(fmt.Sprint("concurrency=", n), func(t *testing.T) {
			d := startDownstream(t, func(int) int { return 200 })
			s := openSpooled(t, d.url, t.TempDir(), n, 20)
			waitFor(t, "20 deliveries", func() bool { return len(d.received()) == 20 })
			for i, g := range d.received() {
				want := fmt.Sprintf(`eyun:w:%d:1 {"vendor":"eyun","kind":"text","id":"%d","dedup_key":"eyun:w:%d:1"}`, i, i, i)
				if g != want {
					t.Fatalf("delivery %d: %q, want %q", i, g, want)
				}
			}
			if err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestForwardRetriesThroughOutage(t *testing.T) {
	// 5 failures (503, then 429), then success: the event arrives once.
	d := startDownstream(t, func(n int) int {
		switch {
		case n <= 3:
			return 503
		case n <= 5:
			return 429
		}
		return 200
	})
	s, err := Open(d.url, t.TempDir(), fast)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	s.Deliver(context.Background(), record(1))
	waitFor(t, "delivery after retries", func() bool { return len(d.received()) == 1 })
	// The downstream records the event before its answer reaches the
	// sink: wait for the sink to take the answer in.
	waitFor(t, "the sink to see the success", func() bool { return s.LastError() == nil && s.Backlog() == 0 })
	if n := len(d.received()); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
}

func TestForwardSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	// Downstream down: nothing listens on this port.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	s, err := Open("http://"+addr+"/", dir, fast)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		s.Deliver(context.Background(), record(i))
	}
	waitFor(t, "a failed attempt", func() bool { return s.LastError() != nil })
	start := time.Now()
	s.Close(context.Background()) // must not wait for a dead downstream
	if time.Since(start) > 2*time.Second {
		t.Fatalf("Close waited %v on a dead downstream", time.Since(start))
	}

	d := startDownstream(t, func(int) int { return 200 })
	s, err = Open(d.url, dir, fast)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	waitFor(t, "5 deliveries after restart", func() bool { return len(d.received()) == 5 })
}

func TestForwardPermanentRefusalIsSetAside(t *testing.T) {
	d := startDownstream(t, func(n int) int {
		if n == 1 {
			return 400
		}
		return 200
	})
	dir := t.TempDir()
	s, err := Open(d.url, dir, fast)
	if err != nil {
		t.Fatal(err)
	}
	s.Deliver(context.Background(), record(1))
	s.Deliver(context.Background(), record(2))
	waitFor(t, "the next event", func() bool { return len(d.received()) == 1 })
	s.Close(context.Background())
	if !strings.HasPrefix(d.received()[0], "eyun:w:2:1 ") {
		t.Fatalf("got %q", d.received()[0])
	}
	b, _ := os.ReadFile(filepath.Join(dir, "rejected.ndjson"))
	if !strings.HasPrefix(string(b), `{"status":400,"event":{"vendor":"eyun","kind":"text","id":"1"`) {
		t.Fatalf("rejected.ndjson: %q", b)
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	s := &Sink{opt: Options{MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second}}
	for attempt, max := range []time.Duration{100, 200, 400, 800, 1600, 2000, 2000} {
		max *= time.Millisecond
		if attempt >= 5 {
			max = 2 * time.Second
		}
		for range 50 {
			d := s.backoff(attempt)
			if d < max/2 || d > max {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, max/2, max)
			}
		}
	}
	if d := s.backoff(1000); d > 2*time.Second {
		t.Fatalf("overflowed backoff %v", d)
	}
}

func TestOnSpooledReportsPendingKeys(t *testing.T) {
	dir := t.TempDir()
	s, err := Open("http://127.0.0.1:1/", dir, fast) // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	s.Deliver(context.Background(), record(7))
	s.Deliver(context.Background(), record(8))
	s.Close(context.Background())
	var keys []string
	opt := fast
	opt.OnSpooled = func(k []byte) { keys = append(keys, string(k)) }
	s, err = Open("http://127.0.0.1:1/", dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	s.Close(context.Background())
	if fmt.Sprint(keys) != "[eyun:w:7:1 eyun:w:8:1]" {
		t.Fatalf("spooled keys %v", keys)
	}
}

// gate is a downstream on 127.0.0.1 that holds every request until the test
// opens it, counting requests in flight, and answers 503 to the keys in
// fail (while they are in it) and 200 to the rest.
type gate struct {
	mu        sync.Mutex
	inFlight  int
	maxFlight int
	fail      map[string]int  // 503s still to answer per key; < 0: forever
	refuse    map[string]bool // keys answered 400
	got       map[string]int  // 200s per dedup key
	calls     map[string]int  // requests per dedup key, whatever the answer
	open      chan struct{}
	url       string
}

func startGate(t *testing.T, fail ...string) *gate {
	g := &gate{fail: map[string]int{}, refuse: map[string]bool{}, got: map[string]int{}, calls: map[string]int{}, open: make(chan struct{})}
	for _, k := range fail {
		g.fail[k] = -1
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		key := r.Header.Get("X-Wxhook-Dedup-Key")
		g.mu.Lock()
		g.inFlight++
		g.maxFlight = max(g.maxFlight, g.inFlight)
		g.mu.Unlock()
		select {
		case <-g.open:
		case <-r.Context().Done():
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		g.inFlight--
		g.calls[key]++
		if g.refuse[key] {
			w.WriteHeader(400)
			return
		}
		if n := g.fail[key]; n != 0 {
			if n > 0 {
				g.fail[key] = n - 1
			}
			w.WriteHeader(503)
			return
		}
		g.got[key]++
	}))
	t.Cleanup(srv.Close)
	g.url = srv.URL
	return g
}

func (g *gate) state() (inFlight, maxFlight int, got map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight, g.maxFlight, maps.Clone(g.got)
}

// attempts returns the requests made for key so far, whatever the answer.
func (g *gate) attempts(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[key]
}

func key(i int) string { return fmt.Sprintf("eyun:w:%d:1", i) }

// TestForwardConcurrencyBound: with Concurrency N and a downstream that
// holds every request, exactly N POSTs are in flight, never more; once it
// lets them through, every event arrives exactly once. N = 1 is the
// in-order sender, the others the concurrent one.
func TestForwardConcurrencyBound(t *testing.T) {
	for _, n := range []int{1, 2, 4, 16} {
		t.Run(fmt.Sprint("concurrency=", n), func(t *testing.T) {
			g := startGate(t)
			opt := fast
			opt.Concurrency = n
			// The gate holds the first requests until n are in flight; on a
			// loaded machine that can take longer than fast's 2 s timeout,
			// and a timed-out request is retried (a second delivery, as
			// at-least-once allows), which is not what this test is about.
			opt.Timeout = 30 * time.Second
			s, err := Open(g.url, t.TempDir(), opt)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(context.Background())
			events := 3*n + 5
			for i := range events {
				if err := s.Deliver(context.Background(), record(i)); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, fmt.Sprint(n, " requests in flight"), func() bool { in, _, _ := g.state(); return in == n })
			close(g.open)
			waitFor(t, fmt.Sprint(events, " deliveries"), func() bool { _, _, got := g.state(); return len(got) == events })
			_, maxFlight, got := g.state()
			if maxFlight != n {
				t.Fatalf("at most %d requests in flight, want %d", maxFlight, n)
			}
			for i := range events {
				if got[key(i)] != 1 {
					t.Fatalf("%s delivered %d times, want once: %v", key(i), got[key(i)], got)
				}
			}
			waitFor(t, "an empty backlog", func() bool { return s.Backlog() == 0 })
		})
	}
}

// TestForwardConcurrentFailureHoldsTheCursor: the first event keeps failing
// while the three sent beside it succeed. The reader does not run further
// ahead than Concurrency records past the failing one, the backlog counts
// every unfinished event, and after a restart everything arrives: the
// failing event, the rest, and — a second time — the three that were
// delivered past the spool's cursor (at-least-once, never lost).
func TestForwardConcurrentFailureHoldsTheCursor(t *testing.T) {
	dir := t.TempDir()
	g := startGate(t, key(0))
	close(g.open)
	s := openSpooled(t, g.url, dir, 4, 10)
	waitFor(t, "events 1-3 delivered", func() bool { _, _, got := g.state(); return len(got) == 3 })
	waitFor(t, "a failed attempt", func() bool { return s.LastError() != nil })
	_, _, got := g.state()
	for i := 1; i <= 3; i++ {
		if got[key(i)] != 1 {
			t.Fatalf("delivered %v, want events 1-3 once each", got)
		}
	}
	if b := s.Backlog(); b != 10 {
		t.Fatalf("backlog %d with event 0 unfinished, want 10", b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, got = g.state()
	if len(got) != 3 {
		t.Fatalf("the reader ran ahead of its window: %v", got)
	}

	// The downstream recovers — a fresh one, so that a retry of event 0
	// the old sink had on the wire when it closed cannot land here.
	g2 := startGate(t)
	close(g2.open)
	s = openSpooled(t, g2.url, dir, 4, 0) // the restart: nothing new spooled
	defer s.Close(context.Background())
	waitFor(t, "all 10 events", func() bool { _, _, got := g2.state(); return len(got) == 10 })
	waitFor(t, "an empty backlog", func() bool { return s.Backlog() == 0 })
	// Every event once; 1-3, delivered before the restart past the
	// cursor, arrive a second time (that is the at-least-once part).
	_, _, got = g2.state()
	for i := range 10 {
		if got[key(i)] != 1 {
			t.Fatalf("%s delivered %d times after the restart, want 1: %v", key(i), got[key(i)], got)
		}
	}
	if _, _, before := g.state(); len(before) != 3 {
		t.Fatalf("before the restart: %v, want events 1-3 only", before)
	}
}

// BenchmarkForward measures delivery to a 127.0.0.1 downstream that takes
// 1 ms per event (a bot doing a little work before answering): events/s
// by Concurrency, from spooling to the last delivery. Each iteration is one
// event spooled and delivered.
func BenchmarkForward(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(time.Millisecond)
	}))
	defer srv.Close()
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", n), func(b *testing.B) {
			opt := fast
			opt.Concurrency = n
			opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			s, err := Open(srv.URL, b.TempDir(), opt)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close(context.Background())
			rec := record(1)
			start := time.Now()
			// Many requests at once, as a worker under load has: the
			// spool's group commit shares their fsyncs, so producing is
			// not what limits the rate.
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.Deliver(context.Background(), rec); err != nil {
						b.Error(err)
						return
					}
				}
			})
			for s.Backlog() > 0 {
				time.Sleep(100 * time.Microsecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// TestForwardRedirectIsNotDelivery: a downstream answering 302 to a page
// that answers 200 to GET (a login page, say) has not taken the event. The
// sink must not follow the redirect (a client following it turns the POST
// into a body-less GET and counts its 200 as delivered): the event stays
// spooled, the failure names the Location, and the event is delivered
// once the downstream answers 2xx.
func TestForwardRedirectIsNotDelivery(t *testing.T) {
	var (
		mu       sync.Mutex
		redirect = true
		posts    []string // bodies of the POSTs answered 200
		gets     int      // requests that reached the redirect target
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gets++
		mu.Unlock()
		io.WriteString(w, "<html>please log in</html>")
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if redirect {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		posts = append(posts, r.Header.Get("X-Wxhook-Dedup-Key")+" "+string(b))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var logs strings.Builder
	var logMu sync.Mutex
	opt := fast
	opt.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	var delivered sync.WaitGroup
	delivered.Add(1)
	var count int
	opt.OnDelivered = func(time.Duration) {
		mu.Lock()
		count++
		mu.Unlock()
		delivered.Done()
	}
	s, err := Open(srv.URL+"/events", t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.Deliver(context.Background(), record(1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed attempt or a delivery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return s.LastError() != nil || gets > 0
	})
	time.Sleep(50 * time.Millisecond) // several retries at 5-20 ms backoff
	mu.Lock()
	if gets != 0 || count != 0 {
		t.Fatalf("redirect followed: %d requests reached /login, %d deliveries counted", gets, count)
	}
	mu.Unlock()
	if b := s.Backlog(); b != 1 {
		t.Fatalf("backlog %d with the downstream redirecting, want 1 (the event stays spooled)", b)
	}
	if err := s.LastError(); !strings.Contains(err.Error(), "302") || !strings.Contains(err.Error(), "/login") {
		t.Fatalf("last error %q: want the status and the Location", err)
	}
	logMu.Lock()
	l := logs.String()
	logMu.Unlock()
	if !strings.Contains(l, "location=/login") {
		t.Fatalf("failure log without the Location:\n%s", l)
	}

	mu.Lock()
	redirect = false
	mu.Unlock()
	delivered.Wait()
	waitFor(t, "an empty backlog", func() bool { return s.Backlog() == 0 })
	mu.Lock()
	defer mu.Unlock()
	want := `eyun:w:1:1 {"vendor":"eyun","kind":"text","id":"1","dedup_key":"eyun:w:1:1"}`
	if len(posts) != 1 || posts[0] != want || gets != 0 {
		t.Fatalf("after the redirects stopped: posts %q, GETs %d", posts, gets)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
