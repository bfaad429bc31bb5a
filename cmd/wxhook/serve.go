package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/host"
	"github.com/wxhook/wxhook/worker"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/sink"
	"github.com/wxhook/wxhook/worker/sink/forward"
	"github.com/wxhook/wxhook/worker/sink/jetstream"
)

const serveUsage = `usage: wxhook serve [flags]

Runs the webhook worker. Routes (vendor: wecom, eyun, dll, gewe or auto):
  POST /hook, /hook/{vendor}           secret in the X-Wxhook-Secret header
  POST /hook/{secret}, /hook/{secret}/{vendor}
                                       secret in the path
  GET  /healthz, /readyz               on --addr
  GET  /metrics, /readyz               on --admin-addr (/metrics on --addr
                                       when --admin-addr is off)
With --insecure no secret is checked and the default --addr is
127.0.0.1:8080 (loopback only); otherwise it is :8080. TLS: put a reverse
proxy in front.
Every flag can also be set by an environment variable WXHOOK_<FLAG> (upper
case, '-' as '_', e.g. WXHOOK_DATA_DIR); a flag on the command line wins.

flags:
`

// serveConfig is everything "wxhook serve" is configured with.
type serveConfig struct {
	addr, adminAddr, secret, engine, dedup, sink, fsync, dataDir, logLevel, logFormat string
	natsSubject, natsStream                                                           string
	forwardTimeout, forwardMaxBackoff                                                 time.Duration
	forwardConcurrency, wasmDispatch                                                  int
	insecure, adminPprof                                                              bool
	maxBody, maxInflight                                                              byteSize
	dedupTTL                                                                          time.Duration
	allow                                                                             listFlag
	timeouts                                                                          worker.Timeouts
}

// Listen addresses: --insecure checks no secret, so by default it listens on
// loopback only; reaching it from elsewhere takes an explicit --addr.
const (
	defaultAddr         = ":8080"
	defaultInsecureAddr = "127.0.0.1:8080"
	defaultAdminAddr    = "127.0.0.1:9090"
)

// parseServe parses args with WXHOOK_* environment defaults. Like the other
// commands it prints nothing itself: runServe prints the help for -h
// (flag.ErrHelp) and one line for any other error.
func parseServe(args []string, getenv func(string) string, stderr io.Writer) (*serveConfig, error) {
	c := &serveConfig{maxBody: 8 << 20, maxInflight: worker.DefaultMaxInflightBytes}
	fs := newFlagSet("serve")
	fs.StringVar(&c.addr, "addr", "", `listen address (default ":8080", with --insecure "127.0.0.1:8080")`)
	fs.StringVar(&c.adminAddr, "admin-addr", defaultAdminAddr, "listen address of /metrics and /readyz with error details (\"off\": /metrics on --addr)")
	fs.BoolVar(&c.adminPprof, "admin-pprof", false, "also serve Go's profiles (net/http/pprof, /debug/pprof/) on --admin-addr")
	fs.StringVar(&c.secret, "secret", "", "callback secret (path segment /hook/{secret}/… or header X-Wxhook-Secret)")
	fs.BoolVar(&c.insecure, "insecure", false, "accept callbacks without a secret (not together with --secret)")
	fs.StringVar(&c.engine, "engine", "wasm", "decoding engine: wasm or native")
	fs.StringVar(&c.dedup, "dedup", "memory", "dedup store: memory (embedded, persisted in --data-dir), redis://host:port/db, or off")
	fs.DurationVar(&c.dedupTTL, "dedup-ttl", 24*time.Hour, "how long an accepted event's dedup key is remembered")
	fs.StringVar(&c.sink, "sink", "stdout", "event sink: stdout, file:PATH, http(s)://… (forward via on-disk spool), nats://… (JetStream)")
	fs.StringVar(&c.fsync, "fsync", "interval", "file sink fsync policy: interval (1s), always, never")
	fs.DurationVar(&c.forwardTimeout, "forward-timeout", 10*time.Second, "HTTP forward sink: timeout of one POST")
	fs.DurationVar(&c.forwardMaxBackoff, "forward-max-backoff", 30*time.Second, "HTTP forward sink: longest delay between retries")
	fs.IntVar(&c.wasmDispatch, "wasm-dispatch", max(1, runtime.GOMAXPROCS(0)/2), "--engine wasm: goroutines that run the decodes back to back (0: each request's own goroutine)")
	fs.IntVar(&c.forwardConcurrency, "forward-concurrency", 1, "HTTP forward sink: POSTs in flight at once (1 keeps events in order; more may reorder them)")
	fs.StringVar(&c.natsSubject, "nats-subject", "wxhook.events", "JetStream subject prefix (events go to <prefix>.<vendor>.<kind>)")
	fs.StringVar(&c.natsStream, "nats-stream", "WXHOOK", "JetStream stream (created with subjects <prefix>.> if missing)")
	fs.StringVar(&c.dataDir, "data-dir", "wxhook-data", "directory for the spool, the dedup store and deadletter.ndjson")
	fs.Var(&c.maxBody, "max-body", "largest callback body accepted (bytes, or with KiB/MiB suffix; at most 16MiB, the decoder's limit)")
	fs.Var(&c.maxInflight, "max-inflight-bytes", "callback bodies held in memory at once, all requests together; past it: 503 + Retry-After")
	fs.Var(&c.allow, "allow-account", "accept only these bot accounts (comma-separated or repeated; default: all)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.logFormat, "log-format", "json", "log format on stderr: json or text")
	fs.DurationVar(&c.timeouts.ReadHeader, "read-header-timeout", 5*time.Second, "server ReadHeaderTimeout")
	fs.DurationVar(&c.timeouts.Read, "read-timeout", 30*time.Second, "server ReadTimeout (whole request)")
	fs.DurationVar(&c.timeouts.Write, "write-timeout", 40*time.Second, "server WriteTimeout")
	fs.DurationVar(&c.timeouts.Idle, "idle-timeout", 120*time.Second, "server IdleTimeout (keep-alive)")
	fs.DurationVar(&c.timeouts.Shutdown, "shutdown-timeout", 25*time.Second, "graceful shutdown limit")

	// Environment first, so that flags given on the command line win.
	fromEnv := map[string]string{} // flag name → variable that set it
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "WXHOOK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
					envErr = fmt.Errorf("%s=%q: want true or false (also 1/0, t/f)", name, v)
				} else {
					envErr = fmt.Errorf("%s=%q: %w", name, v, err)
				}
				return
			}
			fromEnv[f.Name] = name
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			showHelp(stderr, fs, serveUsage)
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	origin := func(name string) string { // where a flag's value came from, for messages
		if env, ok := fromEnv[name]; ok && !onCommandLine[name] {
			return env + " in the environment"
		}
		return "--" + name
	}
	if c.secret != "" && c.insecure {
		// --insecure turns the secret check off: a leftover
		// WXHOOK_INSECURE=true must not silently disable a secret.
		return nil, fmt.Errorf("%s and %s together: --insecure turns the secret check off; give only one", origin("secret"), origin("insecure"))
	}
	if c.secret == "" && !c.insecure {
		return nil, errors.New("a callback secret is required: --secret (or WXHOOK_SECRET), or --insecure")
	}
	if err := worker.CheckSecret(c.secret); err != nil {
		return nil, fmt.Errorf("%s: %w", origin("secret"), err)
	}
	if c.addr == "" {
		c.addr = defaultAddr
		if c.insecure {
			c.addr = defaultInsecureAddr
		}
	}
	if c.adminAddr == "off" {
		c.adminAddr = ""
		if c.adminPprof {
			// The profiles tell a caller about the process (and cost CPU
			// while taken): never on the callback address.
			return nil, errors.New("--admin-pprof needs an admin address: it is never served on --addr")
		}
	}
	if c.maxInflight < c.maxBody {
		return nil, fmt.Errorf("--max-inflight-bytes %d is below --max-body %d: a body of the largest size could never be accepted", c.maxInflight, c.maxBody)
	}
	if c.wasmDispatch < 0 {
		return nil, fmt.Errorf("--wasm-dispatch %d: want 0 or more", c.wasmDispatch)
	}
	if c.maxBody > decoder.MaxInput {
		// A body between the two would be read in full and then refused by
		// the decoder: say so now rather than answer 413 at run time.
		return nil, fmt.Errorf("--max-body %d: above the decoder's limit of %d bytes (16MiB); use 16MiB or less", int64(c.maxBody), decoder.MaxInput)
	}
	if c.forwardConcurrency < 1 {
		return nil, fmt.Errorf("--forward-concurrency %d: want 1 or more", c.forwardConcurrency)
	}
	return c, nil
}

func runServe(args []string, stderr io.Writer) int {
	c, err := parseServe(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		flagError(stderr, "serve", err)
		return 2
	}
	log, err := newLogger(c.logLevel, c.logFormat, stderr)
	if err != nil {
		flagError(stderr, "serve", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, c, log); err != nil {
		log.Error("wxhook serve failed", "err", err)
		return 1
	}
	return 0
}

// serve builds the components, serves until ctx is done, and shuts down.
func serve(ctx context.Context, c *serveConfig, log *slog.Logger) (err error) {
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return err
	}
	eng, err := openEngine(ctx, c.engine)
	if err != nil {
		return fmt.Errorf("engine %s: %w", c.engine, err)
	}
	if c.engine == "wasm" && c.wasmDispatch > 0 {
		// Under load the guest runs much faster back to back on a few
		// goroutines than interleaved with HTTP work on every request's
		// (host.Dispatcher has the figures).
		eng = host.NewDispatcher(eng, c.wasmDispatch)
	}
	var closers []func()
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
	}()
	closers = append(closers, func() { eng.Close(context.Background()) })

	ds, err := dedup.Open(ctx, c.dedup, c.dataDir, dedup.Options{TTL: c.dedupTTL})
	if err != nil {
		return err
	}
	closers = append(closers, func() { ds.Close() })

	var wp atomic.Pointer[worker.Worker]
	sk, sinkName, err := openSink(ctx, c, log, ds, func(d time.Duration) {
		if w := wp.Load(); w != nil {
			w.ObserveForward(d)
		}
	})
	if err != nil {
		return err
	}
	closers = append(closers, func() { sk.Close(context.Background()) })

	w, err := worker.New(worker.Config{
		Engine: eng, Dedup: ds, Sink: sk, SinkName: sinkName,
		Secret: c.secret, Insecure: c.insecure, MaxBody: int64(c.maxBody), MaxInflightBytes: int64(c.maxInflight),
		AllowAccounts: c.allow, DataDir: c.dataDir, Logger: log, SeparateAdmin: c.adminAddr != "",
	})
	if err != nil {
		return err
	}
	wp.Store(w)
	closers = []func(){func() { w.Close(context.Background()) }}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	closers = append(closers, func() { ln.Close() })
	adminAddr := "off"
	if c.adminAddr != "" {
		aln, err := net.Listen("tcp", c.adminAddr)
		if err != nil {
			return fmt.Errorf("--admin-addr: %w", err)
		}
		adminAddr = aln.Addr().String()
		var h http.Handler = w.AdminHandler()
		if c.adminPprof {
			h = withPprof(h)
		}
		admin := &http.Server{Handler: h, ReadHeaderTimeout: c.timeouts.ReadHeader,
			ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: c.timeouts.Idle,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
		go admin.Serve(aln)
		// Closed once the worker has drained, so /readyz answers 503
		// "shutting down" meanwhile.
		defer admin.Close()
	}
	log.Info("wxhook serve listening", "addr", ln.Addr().String(), "admin_addr", adminAddr, "engine", c.engine, "dedup", redactURL(c.dedup),
		"sink", redactURL(c.sink), "data_dir", c.dataDir, "insecure", c.insecure, "version", version)
	if c.insecure {
		log.Warn("--insecure: callbacks are accepted without a secret from anyone who reaches " + ln.Addr().String())
	}
	err = w.Serve(ctx, ln, c.timeouts)
	closers = nil // Serve closed the worker
	log.Info("wxhook serve stopped")
	return err
}

func openSink(ctx context.Context, c *serveConfig, log *slog.Logger, ds dedup.Store, onForward func(time.Duration)) (sink.Sink, string, error) {
	switch s := c.sink; {
	case s == "" || s == "stdout" || s == "-":
		return sink.Stdout(), "stdout", nil
	case strings.HasPrefix(s, "file:"):
		path := strings.TrimPrefix(s, "file:")
		if path == "" {
			return nil, "", errors.New("--sink file:PATH needs a path")
		}
		if dir := filepath.Dir(path); dir != "" {
			os.MkdirAll(dir, 0o700)
		}
		f, err := sink.OpenFile(path, c.fsync)
		return f, "file", err
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		f, err := forward.Open(s, c.dataDir, forward.Options{
			Logger: log, OnDelivered: onForward, Timeout: c.forwardTimeout, MaxBackoff: c.forwardMaxBackoff,
			Concurrency: c.forwardConcurrency,
			// Spooled events were accepted: a retry of one is a duplicate.
			OnSpooled: func(key []byte) { ds.Commit(ctx, key, dedup.Claim{}) },
		})
		return f, "forward", err
	case strings.HasPrefix(s, "nats://") || strings.HasPrefix(s, "tls://"):
		j, err := jetstream.Open(ctx, s, jetstream.Options{Subject: c.natsSubject, Stream: c.natsStream})
		return j, "jetstream", err
	}
	return nil, "", fmt.Errorf("unknown --sink %q (want stdout, file:PATH, http(s)://… or nats://…)", c.sink)
}

// withPprof adds Go's profiles (net/http/pprof) under /debug/pprof/ to the
// admin handler h: a CPU profile of the running server under load is how
// its per-request cost is found (docs/BENCHMARKS.md).
func withPprof(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// redactURL hides a password in a redis:// or nats:// URL for the log.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return s
	}
	return scheme + "://_@" + rest[at+1:]
}

func newLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want json or text", format)
}

// byteSize is a flag value in bytes accepting KiB/MiB/GiB (and K/M/G) suffixes.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if t, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = t, u.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return fmt.Errorf("invalid size %q", s)
	}
	*b = byteSize(n * mult)
	return nil
}

// listFlag collects comma-separated values across repeated flags.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}
