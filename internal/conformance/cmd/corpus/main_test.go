package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/wxhook/wxhook/internal/conformance"
)

// The exported file round-trips: read back, it is the parity corpus case for
// case, and every expected result is what the native decoder answers for
// the decoded body. Each line has exactly the documented keys.
func TestCorpusRoundTrip(t *testing.T) {
	const n = 300
	out := filepath.Join(t.TempDir(), "corpus.ndjson")
	if err := run([]string{"-o", out, "-generated", "300"}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cs, rs, err := conformance.ReadNDJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	want := conformance.Parity(t, n)
	if len(cs) != len(want) {
		t.Fatalf("%d records, want %d", len(cs), len(want))
	}
	for i, c := range cs {
		w := want[i]
		if c.Name != w.Name || c.Dialect != w.Dialect || c.From != w.From || !bytes.Equal(c.Body, w.Body) {
			t.Fatalf("record %d: %s %v %q, want %s %v %q", i, c.Name, c.Dialect, c.Body, w.Name, w.Dialect, w.Body)
		}
		conformance.Check(t, "exported corpus", c, rs[i], conformance.Reference(c))
		conformance.CheckAccount(t, "exported corpus", c, rs[i], conformance.Reference(c))
	}

	// The keys of a line, and the values of an error line.
	f.Seek(0, 0)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	errs := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"name", "dialect", "body", "ok", "json", "vendor", "kind", "dedup_key", "account"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("key %q missing: %s", k, sc.Bytes())
			}
		}
		if m["ok"] == false {
			errs++
			if m["vendor"] != "" || m["kind"] != "" || m["dedup_key"] != "" || m["account"] != "" {
				t.Errorf("error line with Meta: %s", sc.Bytes())
			}
		}
	}
	if errs == 0 || errs == len(cs) {
		t.Errorf("%d of %d lines are errors", errs, len(cs))
	}
}

func TestCorpusStdoutAndUsage(t *testing.T) {
	var b bytes.Buffer
	if err := run([]string{"-generated", "0"}, &b); err != nil {
		t.Fatal(err)
	}
	cs, _, err := conformance.ReadNDJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(conformance.Parity(t, 0)) {
		t.Errorf("%d records on stdout, want %d", len(cs), len(conformance.Parity(t, 0)))
	}
	if err := run([]string{"-generated", "-1"}, &b); err == nil {
		t.Error("negative -generated accepted")
	}
	if err := run([]string{"extra"}, &b); err == nil {
		t.Error("extra argument accepted")
	}
}
