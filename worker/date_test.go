package worker

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/sink"
)

// TestAnswerDate: a 200 carries a Date of the current second (the cached
// one), and the cache moves on with the clock.
func TestAnswerDate(t *testing.T) {
	w, err := New(Config{Engine: decoder.NewEngine(), Dedup: dedup.Off{}, Sink: sink.NewWriter(io.Discard), Insecure: true,
		DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(t.Context())
	post := func() time.Time {
		t.Helper()
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hook/eyun", strings.NewReader(string(fixture(t, "eyun", "seed_text_private")))))
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		d, err := http.ParseTime(rec.Header().Get("Date"))
		if err != nil {
			t.Fatalf("Date %q: %v", rec.Header().Get("Date"), err)
		}
		return d
	}
	before := time.Now().Truncate(time.Second)
	d := post()
	if d.Before(before) || d.After(time.Now()) {
		t.Fatalf("Date %v, the request was at %v", d, before)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if dateHeader(monoNow())[0] != d.UTC().Format(http.TimeFormat) {
			break // renewed
		}
		if time.Now().After(deadline) {
			t.Fatalf("Date still %v after 5 s", d)
		}
	}
}

// TestDateHeaderFollowsTheSecond reads the cached Date for 1.5 s, across at
// least one second's boundary: every value is that of the wall-clock second
// of the call, never the second before (a cache kept past its second) nor
// a later one.
func TestDateHeaderFollowsTheSecond(t *testing.T) {
	seen := map[string]bool{}
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); time.Sleep(time.Millisecond) {
		before := time.Now()
		got := dateHeader(monoNow())[0]
		after := time.Now()
		if got != before.UTC().Format(http.TimeFormat) && got != after.UTC().Format(http.TimeFormat) {
			t.Fatalf("Date %q between %v and %v", got, before.UTC(), after.UTC())
		}
		seen[got] = true
	}
	if len(seen) < 2 {
		t.Fatalf("one Date in 1.5 s: %v", seen)
	}
}
