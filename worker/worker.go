// Package worker is wxhook's webhook receiver: an http.Handler that takes
// vendor callbacks on POST /hook/{vendor} (or /hook, auto-detecting), checks
// the callback secret, decodes the body with a decoder.Engine, drops
// duplicates with a dedup.Store and hands the canonical event to a
// sink.Sink — answering the vendor 200 {} only once the sink has durably
// accepted the event.
//
// Delivery protocol per callback: reserve the dedup key → deliver to the
// sink → commit the key (or release it when delivery failed, so the vendor's
// retry is delivered rather than dropped). Answers:
//
//	200 {}    accepted, or a duplicate of an accepted event (counted)
//	400       undecodable body: the canonical error JSON; body dead-lettered
//	401/403   secret missing / wrong; 403 also for --allow-account misses
//	409       the same event is being delivered right now by another request
//	          (Retry-After: 1): the vendor retries, and the retry is then
//	          either a duplicate (200) or delivered if the first one failed.
//	          Answering 200 here would lose the event if the first attempt
//	          fails; waiting for it would hold a connection per retry.
//	413       body over --max-body, or over the decoder's limit
//	          (decoder.MaxInput, 16 MiB); never dead-lettered, since no
//	          replay of it could succeed
//	422       the sink can never take this event (sink.PermanentError, code
//	          sink_too_large: over NATS's max payload); body dead-lettered
//	503       the sink or the dedup store failed (Retry-After): the vendor
//	          retries later
//
// A dedup store failure refuses the callback (fail closed): delivered then,
// the event's key could not be recorded and every later resend of it would
// be delivered again. A commit that fails after delivery is kept by the
// Redis store and made once Redis is back (worker/README.md).
package worker

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/sink"
)

// Config configures a Worker. Engine, Dedup and Sink are required; the
// Worker owns them from New on and closes them in Close.
type Config struct {
	Engine decoder.Engine
	Dedup  dedup.Store
	Sink   sink.Sink
	// SinkName labels the sink latency histogram ("stdout", "file", …).
	SinkName string

	// Secret is the callback secret; required unless Insecure.
	Secret   string
	Insecure bool
	// MaxBody bounds a callback body (default 8 MiB: Eyun inlines base64
	// thumbnails). The decoder's own limit, decoder.MaxInput, still
	// applies above it (413, not dead-lettered); wxhook serve refuses a
	// larger --max-body.
	MaxBody int64
	// AllowAccounts, if not empty, is the set of bot accounts (the event's
	// "account") whose callbacks are accepted.
	AllowAccounts []string

	// DataDir holds deadletter.ndjson (created if missing).
	DataDir string
	// MaxDeadLetterBytes caps deadletter.ndjson (default 1 GiB).
	MaxDeadLetterBytes int64

	Logger   *slog.Logger
	Registry *prometheus.Registry // default: a new one with Go/process collectors
}

// Worker is the webhook handler. It is safe for concurrent use.
type Worker struct {
	cfg      Config
	secret   [32]byte
	allow    map[string]struct{}
	log      *slog.Logger
	m        *metrics
	dl       *deadLetter
	metricsH http.Handler
	bufs     sync.Pool
	draining atomic.Bool
	closed   atomic.Bool
}

// New checks cfg and returns a Worker.
func New(cfg Config) (*Worker, error) {
	if cfg.Engine == nil || cfg.Dedup == nil || cfg.Sink == nil {
		return nil, errors.New("worker: Engine, Dedup and Sink are required")
	}
	if cfg.Secret == "" && !cfg.Insecure {
		return nil, errors.New("worker: a callback secret is required (or run insecure)")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 8 << 20
	}
	if cfg.MaxDeadLetterBytes <= 0 {
		cfg.MaxDeadLetterBytes = 1 << 30
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "."
	}
	if cfg.SinkName == "" {
		cfg.SinkName = "sink"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		registerProcess(cfg.Registry)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	dl, err := openDeadLetter(filepath.Join(cfg.DataDir, "deadletter.ndjson"), cfg.MaxDeadLetterBytes)
	if err != nil {
		return nil, fmt.Errorf("worker: dead-letter file: %w", err)
	}
	w := &Worker{cfg: cfg, log: cfg.Logger, dl: dl}
	if cfg.Secret != "" {
		w.secret = sha256.Sum256([]byte(cfg.Secret))
	}
	if len(cfg.AllowAccounts) > 0 {
		w.allow = make(map[string]struct{}, len(cfg.AllowAccounts))
		for _, a := range cfg.AllowAccounts {
			w.allow[a] = struct{}{}
		}
	}
	var backlog func() float64
	if b, ok := cfg.Sink.(interface{ Backlog() int64 }); ok {
		backlog = func() float64 { return float64(b.Backlog()) }
	}
	w.m = newMetrics(cfg.Registry, cfg.SinkName, backlog)
	if q, ok := cfg.Sink.(interface{ Quarantined() int64 }); ok {
		cfg.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "wxhook_spool_quarantined_total",
			Help: "Damaged byte ranges of the spool moved to spool/quarantine.ndjson (the records after them are delivered).",
		}, func() float64 { return float64(q.Quarantined()) }))
	}
	w.metricsH = promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{})
	return w, nil
}

// ObserveForward records the latency of one POST to the downstream; wire it
// as forward.Options.OnDelivered.
func (w *Worker) ObserveForward(d time.Duration) { w.m.forwardSec.Observe(d.Seconds()) }

// Ready reports whether the worker can accept events: not shutting down,
// the engine decodes, the dedup store and the sink answer.
func (w *Worker) Ready(ctx context.Context) map[string]error {
	res := map[string]error{"engine": nil, "dedup": nil, "sink": nil}
	if w.draining.Load() {
		res["worker"] = errors.New("shutting down")
	}
	// A probe decode: "{}" is valid JSON of no dialect, so a working engine
	// answers unknown_dialect; an internal error means the engine is broken.
	_, _, err := w.cfg.Engine.AppendDecode(ctx, nil, []byte("{}"), decoder.Auto)
	var de *decoder.Error
	if err == nil || !errors.As(err, &de) || de.Code == decoder.CodeInternal {
		res["engine"] = fmt.Errorf("probe decode: %v", err)
	}
	res["dedup"] = w.cfg.Dedup.Ready(ctx)
	res["sink"] = w.cfg.Sink.Ready(ctx)
	return res
}

// Drain makes /readyz fail, so load balancers stop sending before Shutdown.
func (w *Worker) Drain() { w.draining.Store(true) }

// Close flushes and closes the sink, the dedup store, the dead-letter file
// and the engine. Call it after the HTTP server has drained.
func (w *Worker) Close(ctx context.Context) error {
	if w.closed.Swap(true) {
		return nil
	}
	w.draining.Store(true)
	errs := []error{
		w.cfg.Sink.Close(ctx),
		w.cfg.Dedup.Close(),
		w.dl.close(),
		w.cfg.Engine.Close(ctx),
	}
	return errors.Join(errs...)
}
