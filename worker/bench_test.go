package worker

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
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

// benchWorker is a worker on an eyun-capable engine, sinking to io.Discard,
// with dedup off ("off") or the embedded store ("memory"); it is closed when
// tb ends.
func benchWorker(tb testing.TB, store string) *Worker {
	dir := tb.TempDir()
	var ds dedup.Store = dedup.Off{}
	if store == "memory" {
		l, err := dedup.OpenLocal(filepath.Join(dir, "dedup.db"), dedup.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		ds = l
	}
	w, err := New(Config{Engine: decoder.NewEngine(), Dedup: ds, Sink: sink.NewWriter(io.Discard),
		Insecure: true, DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close(tb.Context()) })
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

// BenchmarkServeLoopback serves eyun text callbacks through a real
// http.Server on a loopback TCP connection (keep-alive, one request at a
// time, every one a new event): the handler plus net/http's request parsing
// and answer, which BenchmarkServeHTTP leaves out. "noop" is the handler of
// worker/bench/noop (read the body, answer {}), the ceiling that
// worker/bench/run.sh divides by. Unlike run.sh it hardly depends on the
// load of the machine when run under callgrind: the ratio of the
// instructions per request of "worker/*" to "noop" is the user-space part of
// run.sh's CPU ratio (the kernel's share, the syscalls, is not counted).
// Take the difference of two runs (N = 2000 and 6000, say) over their
// difference in requests, so that start-up drops out. Run it with one P and
// no GC: with GOMAXPROCS unset the idle Ps' spinning, which valgrind's
// one-thread-at-a-time schedule drags out, moved a run's count up to 2x, and
// the GC's share moved it by about 3%. What is left moves by about 1.5% on a
// loaded machine: the runtime's background work (sysmon) goes by the wall
// clock, and the test takes longer.
//
//	GOGC=off GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off valgrind --tool=callgrind \
//	    ./worker.test -test.run '^$' -test.bench 'ServeLoopback/noop$' -test.benchtime 6000x
func BenchmarkServeLoopback(b *testing.B) {
	okBody := []byte("{}")
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header()["Content-Type"] = []string{"application/json"}
		w.Write(okBody)
	})
	for _, c := range []struct {
		name, store string
	}{{"noop", ""}, {"worker/new", "memory"}, {"worker/new-nodedup", "off"}} {
		b.Run(c.name, func(b *testing.B) {
			var h http.Handler = noop
			if c.store != "" {
				// The sink writes to /dev/null, like run.sh's stdout: the
				// write(2) per event is part of the cost.
				null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { null.Close() })
				w := benchWorker(b, c.store)
				w.cfg.Sink = sink.NewWriter(null)
				h = w
			}
			benchLoopback(b, h)
		})
	}
}

// benchLoopback serves h with the worker's server settings and posts the
// eyun text fixture to it b.N times over one connection, each with a new id.
func benchLoopback(b *testing.B, h http.Handler) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	t := Timeouts{}
	t.defaults()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle, MaxHeaderBytes: t.MaxHeaderBytes}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()

	const id = "769189154845429899"
	src := fixture(b, "eyun", "seed_text_private")
	head := fmt.Appendf(nil, "POST /hook/eyun HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(src))
	req := append(head, src...)
	at := len(head) + bytes.Index(src, []byte(id))
	if at < len(head) {
		b.Fatal("id not in fixture")
	}
	resp := make([]byte, 0, 4096)
	var digits []byte
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		digits = strconv.AppendInt(digits[:0], int64(i), 10)
		copy(req[at+len(id)-len(digits):at+len(id)], digits)
		if _, err := conn.Write(req); err != nil {
			b.Fatal(err)
		}
		if resp, err = readAnswer(conn, resp[:0]); err != nil {
			b.Fatal(err)
		}
		if !bytes.HasPrefix(resp, []byte("HTTP/1.1 200 ")) || !bytes.HasSuffix(resp, okBody) {
			b.Fatalf("answer %q", resp)
		}
	}
}

var okAnswerEnd = []byte("\r\n\r\n")

// readAnswer reads one HTTP answer with a Content-Length from conn into buf.
func readAnswer(conn net.Conn, buf []byte) ([]byte, error) {
	for {
		if end := bytes.Index(buf, okAnswerEnd); end >= 0 {
			cl := bytes.Index(buf[:end], []byte("Content-Length: "))
			if cl < 0 {
				return buf, fmt.Errorf("no Content-Length in %q", buf)
			}
			cl += len("Content-Length: ")
			n, err := strconv.Atoi(string(buf[cl : cl+bytes.IndexByte(buf[cl:], '\r')]))
			if err != nil {
				return buf, err
			}
			if len(buf) >= end+4+n {
				return buf, nil
			}
		}
		if len(buf) == cap(buf) {
			return buf, errors.New("answer too long")
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
}
