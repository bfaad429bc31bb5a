package worker

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// TestHandlerAllocatesNothing: a callback answered 200 allocates nothing in
// the steady state, a new event (dedup off, and the embedded store, whose
// map and FIFO grow now and then: less than one allocation per callback on
// average) or a duplicate. The request and the ResponseWriter are reused,
// as net/http's own are not: what is counted is the handler's.
func TestHandlerAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	src := fixture(t, "eyun", "seed_text_private")
	const id = "769189154845429899"
	at := bytes.Index(src, []byte(id))
	if at < 0 {
		t.Fatal("id not in fixture")
	}
	for _, c := range []struct {
		name, store string
		fresh       bool
	}{{"new, dedup off", "off", true}, {"new, embedded store", "memory", true}, {"duplicate", "memory", false}} {
		t.Run(c.name, func(t *testing.T) {
			w := benchWorker(t, c.store)
			msg := append([]byte(nil), src...)
			var bd body // bench_test.go
			req := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/hook/eyun"},
				Header: http.Header{}, Body: &bd, ContentLength: int64(len(msg)), RemoteAddr: "127.0.0.1:1"}
			resp := &rw{h: http.Header{}}
			var digits []byte
			i := 0
			serve := func() {
				if c.fresh {
					i++
					digits = strconv.AppendInt(digits[:0], int64(i), 10)
					copy(msg[at+len(id)-len(digits):at+len(id)], digits)
				}
				bd.Reset(msg)
				resp.status = 0
				w.ServeHTTP(resp, req)
				if resp.status != 0 && resp.status != http.StatusOK {
					t.Fatalf("status %d", resp.status)
				}
			}
			serve() // the pools and the first map and FIFO blocks
			if n := testing.AllocsPerRun(2000, serve); n != 0 {
				t.Fatalf("%v allocations per callback, want 0", n)
			}
		})
	}
}
