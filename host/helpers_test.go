package host

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wxhook/wxhook/decoder"
)

// fixture is one conformance callback body.
type fixture struct {
	name    string // "<dialect>/<file>"
	dialect decoder.Dialect
	body    []byte
}

// fixtures reads testdata/callbacks/*/*.json, sorted.
func fixtures(t testing.TB) []fixture {
	t.Helper()
	paths, err := filepath.Glob("testdata/callbacks/*/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures under testdata/callbacks: %v", err)
	}
	sort.Strings(paths)
	var fs []fixture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Base(filepath.Dir(p))
		d, _ := decoder.ParseDialect(dir) // "invalid" → Auto
		fs = append(fs, fixture{name: dir + "/" + strings.TrimSuffix(filepath.Base(p), ".json"), dialect: d, body: b})
	}
	return fs
}

// result is one engine's answer reduced to what must be equal across
// engines: the canonical JSON or canonical error JSON, and the Meta.
type result struct {
	ok     bool
	json   []byte
	vendor decoder.Dialect
	kind   decoder.Kind
	dedup  []byte
}

func (r result) equal(o result) bool {
	return r.ok == o.ok && bytes.Equal(r.json, o.json) && r.vendor == o.vendor && r.kind == o.kind && bytes.Equal(r.dedup, o.dedup)
}

// toResult converts an AppendDecode answer; errors must be *decoder.Error.
func toResult(t testing.TB, out []byte, m decoder.Meta, err error) result {
	if err != nil {
		var de *decoder.Error
		if !errors.As(err, &de) {
			t.Fatalf("error %T is not a *decoder.Error: %v", err, err)
		}
		return result{json: de.AppendJSON(nil)}
	}
	return result{ok: true, json: out, vendor: m.Vendor, kind: m.Kind, dedup: m.DedupKey}
}

// native decodes with the native decoder (the reference).
func native(t testing.TB, d *decoder.Decoder, src []byte, dialect decoder.Dialect) result {
	out, m, err := d.AppendDecode(nil, src, dialect)
	return toResult(t, out, m, err)
}

// viaHost decodes with the wazero engine.
func viaHost(t testing.TB, e *Engine, src []byte, dialect decoder.Dialect) result {
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

// testCache lets every Engine of the test binary reuse one compilation.
var testCache = wazero.NewCompilationCache()

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close(context.Background())
	}
	testCache.Close(context.Background())
	os.Exit(code)
}
