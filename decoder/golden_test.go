package decoder_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the decoder's output (review the diff)")

// corpus lists the conformance corpus: every callback body under
// testdata/callbacks/<dir>/. Every engine is tested against these files.
func corpus(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/callbacks/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures under testdata/callbacks: %v", err)
	}
	return files
}

func goldenPath(input string) string {
	rel, _ := filepath.Rel("testdata/callbacks", input)
	return filepath.Join("testdata/golden", rel)
}

// canonical is what every engine must produce for a body: the canonical
// event JSON, or the canonical error JSON.
func canonical(d *decoder.Decoder, body []byte, dialect decoder.Dialect) []byte {
	out, _, err := d.AppendDecode(nil, body, dialect)
	if err != nil {
		return err.(*decoder.Error).AppendJSON(nil)
	}
	return out
}

// TestGolden decodes every fixture and compares it with its golden file.
func TestGolden(t *testing.T) {
	var d decoder.Decoder
	seen := map[string]bool{}
	for _, in := range corpus(t) {
		name := strings.TrimPrefix(in, "testdata/callbacks/")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := canonical(&d, body, decoder.Auto)
			gp := goldenPath(in)
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
			want, err := os.ReadFile(gp)
			if err != nil {
				t.Fatalf("no golden file (run go test ./decoder -run TestGolden -update and review): %v", err)
			}
			want = bytes.TrimSuffix(want, []byte("\n"))
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s\n got: %s\nwant: %s", gp, got, want)
			}
			checkCanonical(t, got)

			// The directory names the dialect; choosing it explicitly must
			// give the same bytes as detection.
			dir := filepath.Base(filepath.Dir(in))
			if dialect, ok := decoder.ParseDialect(dir); ok {
				if again := canonical(&d, body, dialect); !bytes.Equal(again, got) {
					t.Errorf("--dialect %s differs from auto:\n%s\n%s", dir, again, got)
				}
				var m map[string]any
				if json.Unmarshal(got, &m) == nil && m["vendor"] != nil && m["vendor"] != dir {
					t.Errorf("vendor %v, fixture is in %s/", m["vendor"], dir)
				}
			}
		})
	}
	if *update {
		return
	}
	goldens, _ := filepath.Glob("testdata/golden/*/*.json")
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
