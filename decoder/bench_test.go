package decoder

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// benchFixture is one conformance callback of testdata/callbacks.
type benchFixture struct {
	dialect Dialect
	name    string // file name without .json
	src     []byte
}

var (
	fixturesOnce sync.Once
	fixturesAll  []benchFixture
	fixturesErr  error
)

// loadFixtures reads every valid callback fixture (wecom, eyun, dll, gewe; not
// invalid/) once per test binary, sorted by dialect and name.
func loadFixtures(tb testing.TB) []benchFixture {
	tb.Helper()
	fixturesOnce.Do(func() {
		for _, d := range []Dialect{Wecom, Eyun, DLL, Gewe} {
			paths, err := filepath.Glob(filepath.Join("..", "testdata", "callbacks", d.String(), "*.json"))
			if err != nil {
				fixturesErr = err
				return
			}
			sort.Strings(paths)
			for _, p := range paths {
				b, err := os.ReadFile(p)
				if err != nil {
					fixturesErr = err
					return
				}
				fixturesAll = append(fixturesAll, benchFixture{
					dialect: d,
					name:    strings.TrimSuffix(filepath.Base(p), ".json"),
					src:     b,
				})
			}
		}
	})
	if fixturesErr != nil {
		tb.Fatal(fixturesErr)
	}
	if len(fixturesAll) == 0 {
		tb.Fatal("no fixtures under testdata/callbacks")
	}
	return fixturesAll
}

// BenchmarkDecode measures the production path: one reused Decoder appending
// canonical JSON to one reused buffer, as a worker does.
func BenchmarkDecode(b *testing.B) {
	for _, f := range loadFixtures(b) {
		b.Run(f.dialect.String()+"/"+f.name, func(b *testing.B) {
			var d Decoder
			buf, _, err := d.AppendDecode(nil, f.src, f.dialect)
			if err != nil {
				b.Skipf("fixture does not decode: %v", err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(f.src)))
			b.ResetTimer()
			for b.Loop() {
				buf, _, _ = d.AppendDecode(buf[:0], f.src, f.dialect)
			}
		})
	}
}

// BenchmarkReference measures the hand-written encoding/json decoder of
// reference_test.go on the same inputs: the baseline the Decoder is judged by.
func BenchmarkReference(b *testing.B) {
	for _, f := range loadFixtures(b) {
		b.Run(f.dialect.String()+"/"+f.name, func(b *testing.B) {
			buf, err := refAppendDecode(nil, f.src, f.dialect)
			if err != nil {
				b.Skipf("fixture does not decode: %v", err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(f.src)))
			b.ResetTimer()
			for b.Loop() {
				buf, _ = refAppendDecode(buf[:0], f.src, f.dialect)
			}
		})
	}
}

// TestZeroAllocText: after warm-up, decoding a text message of any dialect,
// with the dialect given or detected, allocates nothing.
func TestZeroAllocText(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are measured in full runs")
	}
	texts := map[Dialect]int{}
	for _, f := range loadFixtures(t) {
		var d Decoder
		buf, m, err := d.AppendDecode(nil, f.src, f.dialect)
		if err != nil || m.Kind != KindText {
			continue
		}
		texts[f.dialect]++
		for _, dialect := range []Dialect{f.dialect, Auto} {
			allocs := testing.AllocsPerRun(100, func() {
				buf, _, err = d.AppendDecode(buf[:0], f.src, dialect)
			})
			if err != nil {
				t.Errorf("%s/%s (as %s): %v", f.dialect, f.name, dialect, err)
				continue
			}
			if allocs != 0 {
				t.Errorf("%s/%s (as %s): %.1f allocs per decode, want 0", f.dialect, f.name, dialect, allocs)
			}
		}
	}
	t.Logf("text fixtures checked: %v", texts)
	// Every dialect has text fixtures; finding none means decoding broke.
	for _, d := range []Dialect{Wecom, Eyun, DLL, Gewe} {
		if texts[d] == 0 {
			t.Errorf("no %s fixture decoded as text", d)
		}
	}
}
