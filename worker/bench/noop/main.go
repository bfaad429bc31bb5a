// Command noop is the ceiling for worker/bench/run.sh: a net/http server
// that reads each request body and answers {} — what the worker does minus
// the decoding, de-duplication and sink. The worker's throughput is reported
// as a ratio to this one's, measured in the same run on the same machine.
//
// With -decode it also decodes each body with the native decoder and drops
// the result: the best any worker built on this decoder and net/http can
// do, which splits the worker's cost into the decoder's and its own.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	_ "net/http/pprof"
	"strings"
	"sync"
	"time"

	"github.com/wxhook/wxhook/decoder"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	decode := flag.Bool("decode", false, "decode each body with the native decoder (result dropped)")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (as wxhook serve --admin-pprof), to compare profiles")
	flag.Parse()
	body := []byte("{}")
	handler := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header()["Content-Type"] = []string{"application/json"}
		w.Write(body)
	}
	if *decode {
		handler = decodeHandler(body)
	}
	if *pprofAddr != "" {
		go func() { log.Fatal(http.ListenAndServe(*pprofAddr, nil)) }() // the default mux has /debug/pprof/
	}
	srv := &http.Server{
		Addr:    *addr,
		Handler: http.HandlerFunc(handler),
		// The worker's server timeouts, so both servers do the same work.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      40 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	log.Fatal(srv.ListenAndServe())
}

// decodeHandler reads the body into a pooled buffer, as the worker does,
// and decodes it; an undecodable body gets a 400 so a wrong fixture shows
// in wrk's non-2xx count instead of passing as fast.
func decodeHandler(ok []byte) http.HandlerFunc {
	type bufs struct{ in, out []byte }
	pool := sync.Pool{New: func() any { return &bufs{in: make([]byte, 0, 8192), out: make([]byte, 0, 8192)} }}
	eng := decoder.NewEngine()
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost { // run.sh's readiness probe
			w.Write(ok)
			return
		}
		b := pool.Get().(*bufs)
		defer pool.Put(b)
		in := b.in[:0]
		for {
			if len(in) == cap(in) {
				in = append(in, 0)[:len(in)]
			}
			n, err := r.Body.Read(in[len(in):cap(in)])
			in = in[:len(in)+n]
			if err != nil {
				break
			}
		}
		b.in = in[:0]
		dialect, _ := decoder.ParseDialect(strings.TrimPrefix(r.URL.Path, "/hook/")) // Auto if none
		out, _, err := eng.AppendDecode(r.Context(), b.out[:0], in, dialect)
		b.out = out[:0]
		w.Header()["Content-Type"] = []string{"application/json"}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
		}
		w.Write(ok)
	}
}
