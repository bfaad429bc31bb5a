package worker

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wxhook/wxhook/decoder"
)

// The metrics tables follow the decoder's enumerations: a series for every
// vendor and kind decoder.Dialects() and decoder.Kinds() list, and a
// reject series for every decoder.Codes() code.
func TestMetricsCoverEveryEnumValue(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newMetrics(reg, "test", nil)
	if len(m.decoded) != len(decoder.Dialects()) || len(m.received) != len(decoder.Dialects()) {
		t.Fatalf("%d vendor rows, %d dialects", len(m.decoded), len(decoder.Dialects()))
	}
	for _, d := range decoder.Dialects() {
		if len(m.decoded[d]) != len(decoder.Kinds()) {
			t.Fatalf("%v: %d kinds, decoder has %d", d, len(m.decoded[d]), len(decoder.Kinds()))
		}
		for _, k := range decoder.Kinds() {
			if m.decoded[d][k] == nil {
				t.Errorf("no series for %v/%v", d, k)
			}
		}
	}
	for _, c := range decoder.Codes() {
		if m.rejects[c] == nil {
			t.Errorf("no reject series for %s", c)
		}
	}
}

// No file of the worker hard-codes the decoder's ranges (the last kind or
// dialect, or table sizes); they come from decoder's iteration.
func TestNoEnumRanges(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	bad := regexp.MustCompile(`decoder\.(KindOffline|DLL)\b|\[\d+\]prometheus`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range bad.FindAllIndex(b, -1) {
			t.Errorf("%s:%d: %s: use decoder.Kinds()/Dialects()/Codes()", f, 1+strings.Count(string(b[:loc[0]]), "\n"), b[loc[0]:loc[1]])
		}
	}
}
