package forward

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// quiet is a logger for tests whose failures are the point.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// setFail makes the gate answer key with n 503s (n < 0: for ever) before it
// lets it through.
func (g *gate) setFail(key string, n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail[key] = n
}

// setRefuse makes the gate answer key with 400, a permanent refusal.
func (g *gate) setRefuse(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refuse[key] = true
}

func keys(from, to int) []string {
	var ks []string
	for i := from; i < to; i++ {
		ks = append(ks, key(i))
	}
	return ks
}

// spooled opens the sink on dir only to list, through OnSpooled, the keys
// still in its spool, in spool order: that is where the cursor stands.
func spooled(t *testing.T, dir string) []string {
	t.Helper()
	var ks []string
	opt := fast
	opt.OnSpooled = func(k []byte) { ks = append(ks, string(k)) }
	s, err := Open("http://127.0.0.1:1/", dir, opt) // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stop at once, whatever is left
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestForwardConcurrentTransientFailureHoldsTheCursor: with Concurrency 4,
// events 0-4 go through, event 5 keeps getting 503 while 6-8 beside it
// succeed. The spool's cursor must stop right before 5: closed while 5 is
// still failing, the spool holds 5-19 exactly — not 0-4, which are done,
// and not fewer, though 6-8 were delivered. The reader does not run past
// 8 (4 events past the cursor). After a restart the downstream, which
// still answers 503 to event 5's first tries, gets 5-19, each once, and
// none of 0-4 again.
func TestForwardConcurrentTransientFailureHoldsTheCursor(t *testing.T) {
	dir := t.TempDir()
	g := startGate(t)
	g.setFail(key(5), -1)
	close(g.open)
	s := openSpooled(t, g.url, dir, 4, 20)
	waitFor(t, "events 0-4 and 6-8 delivered", func() bool { _, _, got := g.state(); return len(got) == 8 })
	waitFor(t, "event 5 retried", func() bool { return g.attempts(key(5)) >= 2 })
	if b := s.Backlog(); b != 15 {
		t.Fatalf("backlog %d with events 0-4 finished, want 15", b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, got := g.state()
	want := map[string]int{}
	for _, i := range []int{0, 1, 2, 3, 4, 6, 7, 8} {
		want[key(i)] = 1
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered before the restart %v, want %v", got, want)
	}
	if ks := spooled(t, dir); !slices.Equal(ks, keys(5, 20)) {
		t.Fatalf("spooled after Close: %v, want events 5-19", ks)
	}

	// The downstream recovers slowly — a fresh one, so that a retry of
	// event 5 the old sink had on the wire when it closed cannot land
	// here: event 5 gets two more 503s, and the others go past it.
	g2 := startGate(t)
	g2.setFail(key(5), 2)
	close(g2.open)
	s = openSpooled(t, g2.url, dir, 4, 0) // the restart: nothing new spooled
	defer s.Close(context.Background())
	waitFor(t, "events 5-19", func() bool { _, _, got := g2.state(); return len(got) == 15 })
	waitFor(t, "an empty backlog", func() bool { return s.Backlog() == 0 })
	_, _, got = g2.state()
	for i := range 20 {
		if n, want := got[key(i)], min(1, i/5); n != want {
			t.Fatalf("%s delivered %d times after the restart, want %d: %v", key(i), n, want, got)
		}
	}
	if n := g2.attempts(key(5)); n != 3 {
		t.Fatalf("event 5 sent %d times after the restart, want 3 (two 503s, then 200)", n)
	}
}

// TestForwardConcurrentPermanentRefusal: with Concurrency 4, events the
// downstream refuses with 400 are set aside in rejected.ndjson, once each,
// and do not hold the cursor: everything else arrives once and the spool
// ends empty.
func TestForwardConcurrentPermanentRefusal(t *testing.T) {
	dir := t.TempDir()
	g := startGate(t)
	g.setRefuse(key(2))
	g.setRefuse(key(7))
	close(g.open)
	s := openSpooled(t, g.url, dir, 4, 12)
	waitFor(t, "10 deliveries", func() bool { _, _, got := g.state(); return len(got) == 10 })
	waitFor(t, "an empty backlog", func() bool { return s.Backlog() == 0 })
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _, got := g.state()
	for i := range 12 {
		want := 1
		if i == 2 || i == 7 {
			want = 0
		}
		if got[key(i)] != want {
			t.Fatalf("%s delivered %d times, want %d: %v", key(i), got[key(i)], want, got)
		}
	}
	if a, b := g.attempts(key(2)), g.attempts(key(7)); a != 1 || b != 1 {
		t.Fatalf("refused events sent %d and %d times, want once each", a, b)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "rejected.ndjson"))
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	slices.Sort(lines)
	if len(lines) != 2 || !strings.Contains(lines[0], `"dedup_key":"eyun:w:2:1"`) || !strings.Contains(lines[1], `"dedup_key":"eyun:w:7:1"`) {
		t.Fatalf("rejected.ndjson: %q", raw)
	}
	if ks := spooled(t, dir); len(ks) != 0 {
		t.Fatalf("left in the spool: %v", ks)
	}
}

// senderStacks returns the stacks of the goroutines running the sink's
// senders (or anything else of a Sink's).
func senderStacks() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "forward.(*Sink).") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// TestForwardCloseStopsEverySender: the downstream holds all 8 POSTs in
// flight. With a backlog and no failure, Close waits; once its context
// ends it cancels the POSTs, every sender goroutine is gone, and the next
// start forwards all 20 events, none of which was acknowledged.
func TestForwardCloseStopsEverySender(t *testing.T) {
	dir := t.TempDir()
	g := startGate(t) // never opened
	s := openSpooled(t, g.url, dir, 8, 20)
	waitFor(t, "8 requests in flight", func() bool { in, _, _ := g.state(); return in == 8 })
	ctx, cancel := context.WithCancel(context.Background())
	closed := make(chan error, 1)
	go func() { closed <- s.Close(ctx) }()
	time.Sleep(50 * time.Millisecond) // a chance to return too early
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with a backlog and a healthy, slow downstream", err)
	default:
	}
	cancel()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if st := senderStacks(); st != "" {
		// Close has seen every sender return; give the runtime a moment
		// to finish the goroutines' exit before calling it a leak.
		waitFor(t, "sender goroutines to exit", func() bool { st = senderStacks(); return st == "" })
	}
	waitFor(t, "the held POSTs to be cancelled", func() bool { in, _, _ := g.state(); return in == 0 })
	if ks := spooled(t, dir); !slices.Equal(ks, keys(0, 20)) {
		t.Fatalf("spooled after Close: %v, want all 20", ks)
	}

	g2 := startGate(t)
	close(g2.open)
	s = openSpooled(t, g2.url, dir, 8, 0) // the restart: nothing new spooled
	defer s.Close(context.Background())
	waitFor(t, "20 deliveries after the restart", func() bool { _, _, got := g2.state(); return len(got) == 20 })
	waitFor(t, "an empty backlog", func() bool { return s.Backlog() == 0 })
}

// TestForwardRestartsLoseNothing: a downstream that fails a third of its
// requests with 503 and refuses some events for good, and a sink stopped
// abruptly (Close with its context already done) several times while
// POSTs are in flight, at Concurrency 8, 3, 1 and 16 on the same spool.
// In the end every event was delivered at least once or, if refused, is
// in rejected.ndjson: nothing accepted is lost.
func TestForwardRestartsLoseNothing(t *testing.T) {
	dir := t.TempDir()
	refused := func(i int) bool { return i%11 == 3 }
	var (
		mu  sync.Mutex
		got = map[string]int{}
		rng = rand.New(rand.NewPCG(1, 2))
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		k := r.Header.Get("X-Wxhook-Dedup-Key")
		var i int
		fmt.Sscanf(k, "eyun:w:%d:1", &i)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case refused(i):
			w.WriteHeader(400)
		case rng.IntN(3) == 0:
			w.WriteHeader(503)
		default:
			got[k]++
		}
	}))
	defer srv.Close()
	delivered := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	opt := fast
	opt.Logger = quiet
	const perRound = 40
	rounds := []int{8, 3, 1, 16}
	for round, n := range rounds {
		opt.Concurrency = n
		s, err := Open(srv.URL, dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		before := delivered()
		for i := range perRound {
			if err := s.Deliver(context.Background(), record(round*perRound+i)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "some deliveries", func() bool { return delivered() >= before+10 })
		stop, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Close(stop); err != nil {
			t.Fatal(err)
		}
	}
	opt.Concurrency = 4
	s, err := Open(srv.URL, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an empty backlog", func() bool { return s.Backlog() == 0 })
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "rejected.ndjson"))
	mu.Lock()
	defer mu.Unlock()
	for i := range len(rounds) * perRound {
		inRejected := strings.Contains(string(raw), fmt.Sprintf(`"dedup_key":"%s"`, key(i)))
		switch {
		case refused(i) && (!inRejected || got[key(i)] != 0):
			t.Fatalf("%s refused: in rejected.ndjson %v, delivered %d times", key(i), inRejected, got[key(i)])
		case !refused(i) && (inRejected || got[key(i)] == 0):
			t.Fatalf("%s lost: in rejected.ndjson %v, delivered %d times", key(i), inRejected, got[key(i)])
		}
	}
}
