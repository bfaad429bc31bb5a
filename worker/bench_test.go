package worker

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/sink"
)

// body is a reusable request body.
type body struct{ bytes.Reader }

func (*body) Close() error { return nil }

// rw is a minimal reusable ResponseWriter: the benchmark measures the
// worker's own path, not net/http's connection handling (worker/bench/run.sh
// measures that, end to end).
type rw struct {
	h      http.Header
	status int
	n      int
}

func (w *rw) Header() http.Header         { return w.h }
func (w *rw) WriteHeader(s int)           { w.status = s }
func (w *rw) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

func benchWorker(b *testing.B, store string) *Worker {
	dir := b.TempDir()
	var ds dedup.Store = dedup.Off{}
	if store == "memory" {
		l, err := dedup.OpenLocal(filepath.Join(dir, "dedup.db"), dedup.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ds = l
	}
	w, err := New(Config{Engine: decoder.NewEngine(), Dedup: ds, Sink: sink.NewWriter(io.Discard),
		Insecure: true, DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close(b.Context()) })
	return w
}

// BenchmarkServeHTTP runs the handler on a reused request. "new" rewrites
// the message id every iteration so each callback is a fresh event (reserve,
// deliver, commit); "duplicate" replays one callback (a dedup hit).
func BenchmarkServeHTTP(b *testing.B) {
	for _, c := range []struct {
		name, dialect, fixture, id, store string
		fresh                             bool
	}{
		{"eyun-text/new", "eyun", "seed_text_private", "769189154845429899", "memory", true},
		{"eyun-text/duplicate", "eyun", "seed_text_private", "769189154845429899", "memory", false},
		{"eyun-text/new-nodedup", "eyun", "seed_text_private", "769189154845429899", "off", true},
		{"wecom-image/new", "wecom", "seed_image", "1000649", "memory", true},
		{"dll-text/new", "dll", "text_private", "4716294419932188235", "memory", true},
	} {
		b.Run(c.name, func(b *testing.B) {
			w := benchWorker(b, c.store)
			src := fixture(b, c.dialect, c.fixture)
			at := bytes.Index(src, []byte(c.id))
			if at < 0 {
				b.Fatal("id not in fixture")
			}
			var bd body
			req := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/hook/" + c.dialect},
				Header: http.Header{}, Body: &bd, ContentLength: int64(len(src)), RemoteAddr: "127.0.0.1:1"}
			resp := &rw{h: http.Header{}}
			var digits []byte
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if c.fresh {
					digits = strconv.AppendInt(digits[:0], int64(i), 10)
					copy(src[at+len(c.id)-len(digits):at+len(c.id)], digits)
				}
				bd.Reset(src)
				resp.status = 0
				w.ServeHTTP(resp, req)
				if resp.status != 0 && resp.status != 200 {
					b.Fatalf("status %d", resp.status)
				}
			}
		})
	}
}
