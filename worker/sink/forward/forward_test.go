package forward

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
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

func TestForwardInOrderWithHeader(t *testing.T) {
	d := startDownstream(t, func(int) int { return 200 })
	s, err := Open(d.url, t.TempDir(), fast)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := s.Deliver(context.Background(), record(i)); err != nil {
			t.Fatal(err)
		}
	}
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
	if s.LastError() != nil || s.Backlog() != 0 {
		t.Fatalf("after success: err %v backlog %d", s.LastError(), s.Backlog())
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
