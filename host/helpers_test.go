package host

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

// fixtures returns the conformance fixtures (internal/conformance).
func fixtures(t testing.TB) []conformance.Case { return conformance.Fixtures(t) }

// native decodes with the native decoder (the reference), reusing d.
func native(t testing.TB, d *decoder.Decoder, src []byte, dialect decoder.Dialect) conformance.Result {
	out, m, err := d.AppendDecode(nil, src, dialect)
	return conformance.FromDecode(t, out, m, err)
}

// toResult converts an AppendDecode answer; errors must be *decoder.Error.
func toResult(t testing.TB, out []byte, m decoder.Meta, err error) conformance.Result {
	t.Helper()
	return conformance.FromDecode(t, out, m, err)
}

// viaHost decodes with the wazero engine.
func viaHost(t testing.TB, e *Engine, src []byte, dialect decoder.Dialect) conformance.Result {
	out, m, err := e.AppendDecode(context.Background(), nil, src, dialect)
	if de := (*decoder.Error)(nil); errors.As(err, &de) && de.Code == decoder.CodeInternal {
		t.Fatalf("engine failure: %v", err)
	}
	return toResult(t, out, m, err)
}

var (
	sharedOnce sync.Once
	shared     *Engine
	sharedErr  error
)

// sharedEngine is one Engine for the tests that only decode, so the module
// is compiled once per test binary.
func sharedEngine(t testing.TB) *Engine {
	t.Helper()
	sharedOnce.Do(func() {
		shared, sharedErr = New(context.Background(), WithMaxInstances(4), WithCompilationCache(testCache))
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// testCache lets every Engine of the test binary reuse one compilation of
// each configuration. It is kept on disk where `wxhook serve` keeps its own
// (DefaultCacheDir), so that test runs after the first, and the cmd/wxhook
// tests, load compiled code in milliseconds instead of compiling for
// seconds. wazero keys its entries by module, configuration and wazero
// version and writes them atomically, so a stale or concurrent entry is
// never used.
var testCache = newTestCache()

func newTestCache() wazero.CompilationCache {
	if dir := DefaultCacheDir(); dir != "" {
		if c, err := wazero.NewCompilationCacheWithDir(dir); err == nil {
			return c
		}
	}
	return wazero.NewCompilationCache()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close(context.Background())
	}
	testCache.Close(context.Background())
	os.Exit(code)
}

// untilDecisive runs attempt up to 3 times, for tests of deadlines: on a
// loaded machine a stall can make an attempt say nothing either way, and
// attempt then returns why instead of failing t. A host that behaves wrongly
// fails every attempt (or fails t at once).
func untilDecisive(t *testing.T, attempt func(*testing.T) (inconclusive string)) {
	t.Helper()
	const attempts = 3
	for i := 1; ; i++ {
		why := attempt(t)
		if why == "" {
			return
		}
		if i == attempts {
			t.Fatalf("%d attempts, none decisive; the last: %s", attempts, why)
		}
		t.Logf("attempt %d not decisive: %s", i, why)
	}
}
