package host

import (
	"log/slog"
	"os"
	"path/filepath"
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
	// again) and the decoder's scratch fit inside. It is a ceiling: on
	// Linux the range is reserved as address space only (memory_linux.go),
	// and an instance uses memory only as far as its largest body needs.
	DefaultMemoryLimitPages = 4096
	// DefaultCloseOnContextDone is off: see WithCloseOnContextDone.
	DefaultCloseOnContextDone = false
	// DefaultDetachFrom is the body size from which a call whose context
	// can end runs detached (see WithDetachFrom): 256 KiB, large enough that
	// the extra goroutine is noise next to the decode (docs/BENCHMARKS.md).
	DefaultDetachFrom = 256 << 10
)

type config struct {
	maxInstances int
	maxInput     int
	memoryPages  uint32
	cacheDir     string
	cache        wazero.CompilationCache
	logger       *slog.Logger
	interrupt    bool
	detachFrom   int
}

func defaultConfig() config {
	return config{
		maxInstances: runtime.GOMAXPROCS(0),
		maxInput:     DefaultMaxInput,
		memoryPages:  DefaultMemoryLimitPages,
		interrupt:    DefaultCloseOnContextDone,
		detachFrom:   DefaultDetachFrom,
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
// that the next process skips compiling the module (cold-start figures:
// docs/BENCHMARKS.md).
func WithCompilationCacheDir(dir string) Option {
	return func(c *config) { c.cacheDir = dir }
}

// DefaultCacheDir is where `wxhook serve` and the tests keep wazero's
// compiled code between runs (compiling takes seconds, loading the cache
// milliseconds): $WXHOOK_WASM_CACHE when set, "" when it is "off" (no disk
// cache), else wxhook/wazero under the user cache directory ("" when there
// is none).
func DefaultCacheDir() string {
	switch dir := os.Getenv("WXHOOK_WASM_CACHE"); dir {
	case "off":
		return ""
	case "":
	default:
		return dir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "wxhook", "wazero")
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
// stops the guest at once (true) or not (false, the default).
//
// Interruption is expensive for a Go-built module: wazero compiles, at every
// loop header, an indirect call that leaves the machine code to check
// whether the module was closed, and the Go wasm backend sends every jump
// inside a function through a loop at its top, so decoding runs several
// times slower (BenchmarkHostInterrupt; figures in docs/BENCHMARKS.md);
// wazero also starts a watcher goroutine per call when the context can end.
//
// Without it, deadlines still hold for the caller: the context is checked
// before a call and while waiting for an instance, and a call on a large
// body runs detached (WithDetachFrom), so the caller returns when its
// context ends. What is not stopped is the guest's CPU work on an abandoned
// call; it is bounded because the decoder is linear in its input and the
// input by WithMaxInput. Turn
// interruption on when that CPU matters more than throughput.
func WithCloseOnContextDone(interrupt bool) Option {
	return func(c *config) { c.interrupt = interrupt }
}

// WithDetachFrom sets the body size from which a call whose context can end
// (ctx.Done() != nil) runs on a separate goroutine, so that AppendDecode
// returns with the context's error as soon as the context ends (default
// DefaultDetachFrom; 0 never detaches). The abandoned call finishes in the
// background and writes nothing the caller owns; its instance then returns
// to the pool, or is replaced if the call failed; Stats counts such calls.
// Smaller bodies run on the caller's goroutine, with no allocation.
// Irrelevant with WithCloseOnContextDone(true), which stops the guest
// itself.
func WithDetachFrom(n int) Option {
	return func(c *config) {
		if n >= 0 {
			c.detachFrom = n
		}
	}
}
