package worker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/wxhook/wxhook/worker/sink/forward"
)

// TestDamagedSpoolDeliversTheRest: 100 events accepted into the forward
// sink's spool while the downstream is down; one byte of the spool is then
// damaged on disk. Once the downstream is back, the 99 intact events are
// delivered (before the spool's format 2, the reader cut the segment at
// the damage and half of them were gone), the damaged one is kept in
// spool/quarantine.ndjson, and wxhook_spool_quarantined_total says 1.
func TestDamagedSpoolDeliversTheRest(t *testing.T) {
	dataDir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	opt := forward.Options{MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Timeout: 2 * time.Second, Logger: quiet}
	event := func(i int) (key, line string) {
		key = fmt.Sprintf("eyun:w:%03d:1", i)
		return key, fmt.Sprintf(`{"vendor":"eyun","kind":"text","id":"%03d","dedup_key":"%s"}`, i, key)
	}
	down, err := forward.Open("http://127.0.0.1:1/", dataDir, opt) // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		key, line := event(i)
		r := sink.Record{Line: []byte(line + "\n"), Meta: decoder.Meta{DedupKey: []byte(key)}}
		if err := down.Deliver(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	down.Close(ctx)

	segs, _ := filepath.Glob(filepath.Join(dataDir, "spool", "*.seg*"))
	if len(segs) != 1 {
		t.Fatalf("spool segments %v", segs)
	}
	b, _ := os.ReadFile(segs[0])
	_, line50 := event(50)
	at := bytes.Index(b, []byte(line50))
	b[at+20] ^= 0x08
	os.WriteFile(segs[0], b, 0o600)

	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		got[r.Header.Get("X-Wxhook-Dedup-Key")]++
		mu.Unlock()
	}))
	defer srv.Close()
	fwd, err := forward.Open(srv.URL, dataDir, opt)
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, fwd)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 99 && fwd.Backlog() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the 99 intact events delivered (backlog %d)", n, fwd.Backlog())
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	for i := range 100 {
		key, _ := event(i)
		want := 1
		if i == 50 {
			want = 0
		}
		if got[key] != want {
			t.Errorf("event %d delivered %d times", i, got[key])
		}
	}
	mu.Unlock()
	if v := metricValue(t, e, "wxhook_spool_quarantined_total"); v != "1" {
		t.Fatalf("wxhook_spool_quarantined_total = %q, want 1", v)
	}
	q, _ := os.ReadFile(filepath.Join(dataDir, "spool", "quarantine.ndjson"))
	if n := strings.Count(string(q), "\n"); n != 1 || !strings.Contains(string(q), `"reason":"damaged"`) {
		t.Fatalf("quarantine.ndjson: %s", q)
	}
}
