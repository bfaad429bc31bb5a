package decoder_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the decoder's output (review the diff)")

// canonical is what every engine must produce for a body: the canonical
// event JSON, or the canonical error JSON.
func canonical(d *decoder.Decoder, body []byte, dialect decoder.Dialect) []byte {
	out, _, err := d.AppendDecode(nil, body, dialect)
	if err != nil {
		return err.(*decoder.Error).AppendJSON(nil)
	}
	return out
}

// TestGolden decodes every fixture (internal/conformance) and compares it
// with its golden file.
func TestGolden(t *testing.T) {
	var d decoder.Decoder
	seen := map[string]bool{}
	for _, c := range conformance.Fixtures(t) {
		t.Run(c.Name, func(t *testing.T) {
			got := canonical(&d, c.Body, decoder.Auto)
			gp := conformance.GoldenPath(c)
			seen[gp] = true
			if *update {
				if err := os.MkdirAll(filepath.Dir(gp), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(gp, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := conformance.Golden(t, c); !bytes.Equal(got, want) {
				t.Errorf("output differs from %s\n got: %s\nwant: %s", gp, got, want)
			}
			checkCanonical(t, got)

			// The directory names the dialect; choosing it explicitly must
			// give the same bytes as detection.
			if c.Dialect != decoder.Auto {
				if again := canonical(&d, c.Body, c.Dialect); !bytes.Equal(again, got) {
					t.Errorf("--dialect %s differs from auto:\n%s\n%s", c.Dialect, again, got)
				}
				var m map[string]any
				if json.Unmarshal(got, &m) == nil && m["vendor"] != nil && m["vendor"] != c.Dialect.String() {
					t.Errorf("vendor %v, fixture is in %s/", m["vendor"], c.Dialect)
				}
			}
		})
	}
	if *update {
		return
	}
	goldens, _ := filepath.Glob(filepath.Join(conformance.Dir(), "golden", "*", "*.json"))
	if len(goldens) == 0 {
		t.Fatal("no golden files")
	}
	for _, g := range goldens {
		if !seen[g] {
			t.Errorf("golden file %s has no fixture: delete it or restore the fixture", g)
		}
	}
}

// fixedFields are the canonical fields every event carries.
var fixedFields = []string{"vendor", "kind", "chat", "id", "dedup_key", "time", "account",
	"from", "to", "room", "self", "text", "mentions"}

// checkCanonical asserts the shape every canonical output has: one line of
// valid JSON, either an error object or an event with every fixed field.
func checkCanonical(t *testing.T, out []byte) {
	t.Helper()
	if !json.Valid(out) {
		t.Fatalf("not valid JSON: %s", out)
	}
	if bytes.ContainsAny(out, "\n\r") {
		t.Fatalf("canonical JSON spans lines: %s", out)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if e, ok := m["error"]; ok {
		var ee map[string]any
		_ = json.Unmarshal(e, &ee)
		if ee["code"] == "" || ee["code"] == nil {
			t.Fatalf("error without code: %s", out)
		}
		return
	}
	for _, f := range fixedFields {
		if _, ok := m[f]; !ok {
			t.Errorf("field %q missing: %s", f, out)
		}
	}
	var key string
	_ = json.Unmarshal(m["dedup_key"], &key)
	if key == "" {
		t.Errorf("empty dedup_key: %s", out)
	}
}
