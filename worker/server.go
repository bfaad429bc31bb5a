package worker

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts are the HTTP server's limits. Zero values take the defaults,
// chosen for vendors posting bodies of up to a few MiB over slow links.
type Timeouts struct {
	ReadHeader time.Duration // default 5s: slowloris on headers
	Read       time.Duration // default 30s: whole request incl. an 8 MiB body
	Write      time.Duration // default 40s: from end of headers to end of answer
	Idle       time.Duration // default 120s: keep-alive
	// MaxHeaderBytes defaults to 64 KiB.
	MaxHeaderBytes int
	// Shutdown bounds the graceful shutdown (default 25s, under the usual
	// 30s SIGKILL grace of process supervisors).
	Shutdown time.Duration
}

func (t *Timeouts) defaults() {
	if t.ReadHeader <= 0 {
		t.ReadHeader = 5 * time.Second
	}
	if t.Read <= 0 {
		t.Read = 30 * time.Second
	}
	if t.Write <= 0 {
		t.Write = 40 * time.Second
	}
	if t.Idle <= 0 {
		t.Idle = 120 * time.Second
	}
	if t.MaxHeaderBytes <= 0 {
		t.MaxHeaderBytes = 64 << 10
	}
	if t.Shutdown <= 0 {
		t.Shutdown = 25 * time.Second
	}
}

// Serve serves the worker on ln until ctx is done, then shuts down
// gracefully: /readyz fails, the listener closes, in-flight requests finish,
// and the sink, dedup store and engine are flushed and closed (Close).
func (w *Worker) Serve(ctx context.Context, ln net.Listener, t Timeouts) error {
	t.defaults()
	srv := &http.Server{
		Handler:           w,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(w.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	w.log.Info("shutting down: draining in-flight requests")
	w.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), t.Shutdown)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		err = errors.Join(err, serr)
	}
	if cerr := w.Close(sctx); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
