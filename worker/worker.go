// Package worker is wxhook's webhook receiver: an http.Handler that takes
// vendor callbacks on POST /hook/{vendor} (or /hook, auto-detecting), checks
// the callback secret, decodes the body with a decoder.Engine, drops
// duplicates with a dedup.Store and hands the canonical event to a
// sink.Sink — answering the vendor 200 {} only once the sink has durably
// accepted the event.
//
// Per callback: reserve the dedup key → deliver to the sink → commit the
// key, or release it when delivery failed (specified in worker/README.md
// "De-duplication", reasons in RATIONALE.md). Answers:
//
//	200 {}    accepted, or a duplicate of an accepted event (counted)
//	400       undecodable body: the canonical error JSON; body dead-lettered
//	401/403   secret missing / wrong; 403 also for --allow-account misses
//	409       the same event is being delivered right now by another request
//	          (Retry-After: 1): the vendor retries, and the retry is then
//	          either a duplicate (200) or delivered if the first one failed
//	413       body over --max-body, or over the decoder's limit
//	          (decoder.MaxInput, 16 MiB); never dead-lettered, since no
//	          replay of it could succeed
//	422       the sink can never take this event (sink.PermanentError, code
//	          sink_too_large: over NATS's max payload); body dead-lettered
//	503       the sink or the dedup store failed (Retry-After): the vendor
//	          retries later
//
// A dedup store failure refuses the callback (503, fail closed). A commit
// that fails after delivery is kept by the Redis store and made once Redis
// is back (worker/README.md).
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

	// Secret is the callback secret; required unless Insecure, and not
	// together with it (Insecure turns the check off). See CheckSecret.
	Secret   string
	Insecure bool
	// MaxBody bounds a callback body (default 8 MiB: Eyun inlines base64
	// thumbnails). The decoder's own limit, decoder.MaxInput, still
	// applies above it (413, not dead-lettered); wxhook serve refuses a
	// larger --max-body.
	MaxBody int64
	// MaxInflightBytes bounds the callback bodies held in memory by all
	// requests together (default DefaultMaxInflightBytes; at least
	// MaxBody). A request that would go past it is answered 503 with
	// Retry-After before its body is read.
	MaxInflightBytes int64
	// AllowAccounts, if not empty, is the set of bot accounts (the event's
	// "account") whose callbacks are accepted.
	AllowAccounts []string

	// DataDir holds deadletter.ndjson (created if missing).
	DataDir string
	// MaxDeadLetterBytes caps deadletter.ndjson (default 1 GiB).
	MaxDeadLetterBytes int64

	// SeparateAdmin leaves /metrics out of ServeHTTP: AdminHandler serves
	// it on another address.
	SeparateAdmin bool
	// ReadyTimeout bounds a readiness check (default 2s): a part that has
	// not answered by then (a paused Redis) is reported failing.
	ReadyTimeout time.Duration

	Logger   *slog.Logger
	Registry *prometheus.Registry // default: a new one with Go/process collectors
}

// DefaultMaxInflightBytes is Config.MaxInflightBytes's default: 16 bodies
// of the default 8 MiB limit at once, or thousands of typical callbacks of a
// few KiB.
const DefaultMaxInflightBytes = 128 << 20

// sinkFailWindow is how long a failed delivery keeps /readyz failing for
// the sink, unless a delivery succeeds meanwhile: long enough for a load
// balancer's probe to see it, short enough that a worker taken out of
// rotation (and so given nothing to deliver) is tried again soon.
const sinkFailWindow = 10 * time.Second

// sinkFailure is the last failed delivery.
type sinkFailure struct {
	at  time.Time
	err error
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
	inflight atomic.Int64                // body bytes held by requests (MaxInflightBytes)
	sinkFail atomic.Pointer[sinkFailure] // nil once a delivery succeeds

	readyMu  sync.Mutex
	notReady map[string]bool // parts last reported failing, to log changes only
}

// New checks cfg and returns a Worker.
func New(cfg Config) (*Worker, error) {
	if cfg.Engine == nil || cfg.Dedup == nil || cfg.Sink == nil {
		return nil, errors.New("worker: Engine, Dedup and Sink are required")
	}
	if cfg.Secret == "" && !cfg.Insecure {
		return nil, errors.New("worker: a callback secret is required (or run insecure)")
	}
	if cfg.Secret != "" && cfg.Insecure {
		return nil, errors.New("worker: a secret and Insecure together: Insecure would turn the secret check off")
	}
	if err := CheckSecret(cfg.Secret); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 8 << 20
	}
	if cfg.MaxInflightBytes <= 0 {
		cfg.MaxInflightBytes = max(DefaultMaxInflightBytes, cfg.MaxBody)
	}
	if cfg.MaxInflightBytes < cfg.MaxBody {
		return nil, fmt.Errorf("worker: MaxInflightBytes %d is below MaxBody %d: a body of the largest size could never be accepted", cfg.MaxInflightBytes, cfg.MaxBody)
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 2 * time.Second
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
	cfg.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wxhook_inflight_body_bytes", Help: "Callback body bytes held in memory by requests in flight (limit: --max-inflight-bytes).",
	}, func() float64 { return float64(w.inflight.Load()) }))
	w.metricsH = promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{})
	return w, nil
}

// ObserveForward records the latency of one POST to the downstream; wire it
// as forward.Options.OnDelivered.
func (w *Worker) ObserveForward(d time.Duration) { w.m.forwardSec.Observe(d.Seconds()) }

// Ready reports whether the worker can accept events: not shutting down,
// the engine decodes, the dedup store and the sink answer, and the last
// delivery did not fail in the last 10 s. The parts are checked at once,
// each within Config.ReadyTimeout; one that has not answered by then is
// failing. A change of a part's state is logged with its error.
func (w *Worker) Ready(ctx context.Context) map[string]error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.ReadyTimeout)
	defer cancel()
	checks := map[string]func(context.Context) error{
		"engine": func(ctx context.Context) error {
			// A probe decode: "{}" is valid JSON of no dialect, so a
			// working engine answers unknown_dialect; an internal error
			// means the engine is broken.
			_, _, err := w.cfg.Engine.AppendDecode(ctx, nil, []byte("{}"), decoder.Auto)
			var de *decoder.Error
			if err == nil || !errors.As(err, &de) || de.Code == decoder.CodeInternal {
				return fmt.Errorf("probe decode: %v", err)
			}
			return nil
		},
		"dedup": w.cfg.Dedup.Ready,
		"sink": func(ctx context.Context) error {
			if err := w.cfg.Sink.Ready(ctx); err != nil {
				return err
			}
			if f := w.sinkFail.Load(); f != nil {
				if ago := time.Since(f.at); ago < sinkFailWindow {
					return fmt.Errorf("last delivery failed %s ago: %v", ago.Round(time.Millisecond), f.err)
				}
			}
			return nil
		},
	}
	type result struct {
		name string
		err  error
	}
	// Buffered: a check that outlives the deadline still finishes (and
	// exits) without a reader.
	done := make(chan result, len(checks))
	for name, check := range checks {
		go func() { done <- result{name, check(ctx)} }()
	}
	res := make(map[string]error, len(checks)+1)
	for range checks {
		select {
		case r := <-done:
			res[r.name] = r.err
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	for name := range checks {
		if _, ok := res[name]; !ok {
			res[name] = fmt.Errorf("no answer within %s", w.cfg.ReadyTimeout)
		}
	}
	if w.draining.Load() {
		res["worker"] = errors.New("shutting down")
	}
	w.logReadiness(res)
	return res
}

// logReadiness logs a part that starts failing (with its error, which
// unauthenticated /readyz answers leave out) and one that recovers.
func (w *Worker) logReadiness(res map[string]error) {
	w.readyMu.Lock()
	defer w.readyMu.Unlock()
	if w.notReady == nil {
		w.notReady = map[string]bool{}
	}
	for name, err := range res {
		switch {
		case err != nil && !w.notReady[name]:
			w.notReady[name] = true
			w.log.Warn("not ready", "part", name, "err", err)
		case err == nil && w.notReady[name]:
			delete(w.notReady, name)
			w.log.Info("ready again", "part", name)
		}
	}
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
