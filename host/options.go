package host

import (
	"log/slog"
	"runtime"

	"github.com/tetratelabs/wazero"

	"github.com/wxhook/wxhook/decoder"
)

// Defaults of the options.
const (
	// DefaultMaxInput is the largest callback body decoded: the native
	// decoder's limit, so that both engines accept the same bodies.
	DefaultMaxInput = decoder.MaxInput
	// DefaultMemoryLimitPages caps each instance's linear memory at
	// 256 MiB (a page is 64 KiB): the Go runtime, input and output buffers
	// for a DefaultMaxInput body (an unknown event embeds the whole body
	// again) and the decoder's scratch fit inside. It is a ceiling, not a
	// reservation: an instance grows only as far as its largest body needs.
	DefaultMemoryLimitPages = 4096
	// DefaultCloseOnContextDone is off: see WithCloseOnContextDone.
	DefaultCloseOnContextDone = false
)

type config struct {
	maxInstances int
	maxInput     int
	memoryPages  uint32
	cacheDir     string
	cache        wazero.CompilationCache
	logger       *slog.Logger
	interrupt    bool
}

func defaultConfig() config {
	return config{
		maxInstances: runtime.GOMAXPROCS(0),
		maxInput:     DefaultMaxInput,
		memoryPages:  DefaultMemoryLimitPages,
		interrupt:    DefaultCloseOnContextDone,
	}
}

// Option configures New.
type Option func(*config)

// WithMaxInstances bounds the number of live module instances (default
// GOMAXPROCS). Callers beyond it wait for a free instance or their context.
func WithMaxInstances(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxInstances = n
		}
	}
}

// WithMaxInput sets the largest body decoded; larger bodies get a
// decoder.CodeTooLarge error without reaching the module.
func WithMaxInput(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxInput = n
		}
	}
}

// WithMemoryLimitPages caps each instance's linear memory (64 KiB pages).
// A guest that needs more fails its call with decoder.CodeInternal and is
// replaced.
func WithMemoryLimitPages(pages uint32) Option {
	return func(c *config) {
		if pages > 0 {
			c.memoryPages = pages
		}
	}
}

// WithCompilationCacheDir keeps wazero's compiled machine code in dir, so
// that the next process skips compiling the module (see the cold-start
// figures in ../wasm/ABI.md).
func WithCompilationCacheDir(dir string) Option {
	return func(c *config) { c.cacheDir = dir }
}

// WithCompilationCache shares compiled code between the Engines of one
// process (tests, or one Engine per tenant); it takes precedence over
// WithCompilationCacheDir. The caller closes the cache after the Engines.
func WithCompilationCache(c wazero.CompilationCache) Option {
	return func(c2 *config) { c2.cache = c }
}

// WithLogger receives the guest's stdout and stderr, one record per line
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithCloseOnContextDone chooses whether a context that ends during a call
// stops the guest at once (true) or is only checked before the call (false,
// the default).
//
// Interruption is expensive for a Go-built module: wazero compiles a
// termination check into every loop header and function entry, and the Go
// wasm backend turns every function into a loop over its resume points, so
// decoding runs about 8 times slower; wazero also starts a watcher goroutine
// per call (3 allocations, 1-2 µs). Without it a call still cannot run
// away: the decoder is linear in its input and the input is bounded by
// WithMaxInput (the worst body of DefaultMaxInput decodes in well under a
// second), and the host allocates nothing per call. Turn it on when a hard
// deadline matters more than throughput.
func WithCloseOnContextDone(interrupt bool) Option {
	return func(c *config) { c.interrupt = interrupt }
}
