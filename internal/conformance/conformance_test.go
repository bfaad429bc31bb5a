package conformance

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

// Dir finds the real top-level testdata from a package whose testdata is a
// symbolic link to it, and from a directory below the module root.
func TestDir(t *testing.T) {
	want := Dir()
	if filepath.Base(want) != "testdata" || !filepath.IsAbs(want) {
		t.Fatalf("Dir() = %q", want)
	}
	if _, err := os.Stat(filepath.Join(want, "callbacks")); err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(want)
	for _, wd := range []string{filepath.Join(root, "host"), filepath.Join(root, "host", "testdata", "callbacks"),
		filepath.Join(root, "internal", "conformance", "cmd")} {
		t.Run(filepath.Base(wd), func(t *testing.T) {
			t.Chdir(wd)
			got, err := findDir()
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("from %s: %s, want %s", wd, got, want)
			}
		})
	}
	// A go.mod of another module (a runtime's own, inside the repository)
	// is walked past.
	inner := filepath.Join(t.TempDir(), "x")
	if err := os.MkdirAll(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inner, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if isRoot(inner) || !isRoot(root) {
		t.Errorf("isRoot: other module %v, repository %v", isRoot(inner), isRoot(root))
	}
}

func TestFixtures(t *testing.T) {
	fs := Fixtures(t)
	seen := map[string]bool{}
	dirs := map[decoder.Dialect]int{}
	for i, f := range fs {
		if seen[f.Name] {
			t.Errorf("fixture %s twice", f.Name)
		}
		seen[f.Name] = true
		if i > 0 && fs[i-1].Name >= f.Name {
			t.Errorf("not sorted: %s before %s", fs[i-1].Name, f.Name)
		}
		dir, _, _ := strings.Cut(f.Name, "/")
		if d, ok := decoder.ParseDialect(dir); ok && d != f.Dialect || !ok && f.Dialect != decoder.Auto {
			t.Errorf("%s: dialect %v", f.Name, f.Dialect)
		}
		dirs[f.Dialect]++
		if len(f.Body) == 0 && dir != "invalid" {
			t.Errorf("%s: empty body", f.Name)
		}
	}
	for _, d := range decoder.Dialects() {
		if dirs[d] == 0 {
			t.Errorf("no fixture with dialect %v", d)
		}
	}
	// Bodies are the caller's: writing into one changes no later call.
	fs[0].Body[0] ^= 0xff
	if again := Fixtures(t); again[0].Body[0] == fs[0].Body[0] {
		t.Error("Fixtures shares bodies between calls")
	}
}

// Every fixture's golden file is what Reference answers, and the @auto
// variant of a case has the same golden file.
func TestGoldenIsReference(t *testing.T) {
	for _, c := range Fixtures(t) {
		want := Reference(c).JSON
		if got := Golden(t, c); !bytes.Equal(got, want) {
			t.Errorf("%s: golden %s\nreference %s", c.Name, got, want)
		}
		if GoldenPath(Case{Name: c.Name + "@auto"}) != GoldenPath(c) {
			t.Errorf("%s@auto has another golden path", c.Name)
		}
	}
}

func TestParity(t *testing.T) {
	fs := Fixtures(t)
	cs := Parity(t, 50)
	fuzz := FuzzCorpus(t)
	if len(fuzz) == 0 || len(fuzz)%len(decoder.Dialects()) != 0 {
		t.Fatalf("%d fuzz corpus cases, want a positive multiple of %d", len(fuzz), len(decoder.Dialects()))
	}
	auto := 0
	for _, f := range fs {
		if f.Dialect != decoder.Auto {
			auto++
		}
	}
	if want := len(fs) + auto + len(fuzz) + 50; len(cs) != want {
		t.Fatalf("%d cases, want %d", len(cs), want)
	}
	names := map[string]bool{}
	gen := 0
	for _, c := range cs {
		if names[c.Name] {
			t.Errorf("case name %s twice", c.Name)
		}
		names[c.Name] = true
		if strings.HasPrefix(c.Name, "gen/") {
			if c.From == "" {
				t.Errorf("%s: no From", c.Name)
			}
			gen++
		}
	}
	if gen != 50 {
		t.Errorf("%d generated cases, want 50", gen)
	}
	// A fuzz corpus entry of testdata/fuzz/FuzzParity is in the corpus.
	if !names["fuzz/FuzzParity/"+firstEntry(t, "FuzzParity")+"#0@auto"] {
		t.Error("fuzz corpus entry of FuzzParity missing")
	}
}

func firstEntry(t *testing.T, target string) string {
	es, err := os.ReadDir(filepath.Join(Dir(), "fuzz", target))
	if err != nil || len(es) == 0 {
		t.Fatalf("no fuzz corpus for %s: %v", target, err)
	}
	for _, e := range es {
		b, _ := os.ReadFile(filepath.Join(Dir(), "fuzz", target, e.Name()))
		if bytes.Contains(b, []byte("[]byte(")) {
			return e.Name()
		}
	}
	t.Fatalf("no []byte entry for %s", target)
	return ""
}

// The generator is deterministic (whatever the order Go gives map keys)
// and prefix-stable, so a failing gen/NNNNN is the same payload at any size.
func TestGenerateDeterministic(t *testing.T) {
	fs := Fixtures(t)
	a := generate(fs, 600, Seed)
	for round := 0; round < 3; round++ {
		b := generate(fs, 600, Seed)
		for i := range a {
			if a[i].Name != b[i].Name || a[i].From != b[i].From || a[i].Dialect != b[i].Dialect || !bytes.Equal(a[i].Body, b[i].Body) {
				t.Fatalf("round %d: %s differs: %s %q / %s %q", round, a[i].Name, a[i].From, a[i].Body, b[i].From, b[i].Body)
			}
		}
	}
	p := generate(fs, 100, Seed)
	for i := range p {
		if !bytes.Equal(p[i].Body, a[i].Body) {
			t.Fatalf("%s: generate(100) is not a prefix of generate(600)", p[i].Name)
		}
	}
	// The mutations are varied: several kinds, and both outcomes.
	hows, oks := map[string]bool{}, 0
	for _, c := range a {
		_, how, _ := strings.Cut(c.From, ":")
		hows[how] = true
		if Reference(c).OK {
			oks++
		}
	}
	if len(hows) < 10 || oks == 0 || oks == len(a) {
		t.Errorf("%d kinds of mutation, %d of %d decodable", len(hows), oks, len(a))
	}
}

// recorder is a testing.TB that keeps what Check reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestCheck(t *testing.T) {
	c := Fixtures(t)[0]
	for _, f := range Fixtures(t) {
		if f.Dialect != decoder.Auto && Reference(f).OK {
			c = f
			break
		}
	}
	want := Reference(c)
	if !want.OK || len(want.DedupKey) == 0 {
		t.Fatalf("%s: no event to compare", c.Name)
	}
	r := &recorder{TB: t}
	if !Check(r, "same", c, Reference(c), want) || len(r.errs) != 0 {
		t.Fatalf("equal results reported: %v", r.errs)
	}
	got := Reference(c)
	got.JSON = append(got.JSON[:len(got.JSON)-1:len(got.JSON)-1], ',', '}')
	got.Kind++
	got.DedupKey = []byte("other")
	if Check(r, "wobbly", c, got, want) || len(r.errs) != 1 {
		t.Fatalf("different results: Check reported %d errors", len(r.errs))
	}
	msg := r.errs[0]
	for _, s := range []string{"wobbly != native for " + c.Name, "json (first difference at byte " + fmt.Sprint(len(want.JSON)-1) + ")",
		"kind:", `"other"`, string(want.DedupKey)} {
		if !strings.Contains(msg, s) {
			t.Errorf("report lacks %q:\n%s", s, msg)
		}
	}
	if strings.Contains(msg, "vendor:") || strings.Contains(msg, " ok:") {
		t.Errorf("report names parts that are equal:\n%s", msg)
	}
	// Account is compared by CheckAccount only (not every runtime reports it).
	other := Reference(c)
	other.Account = []byte("someone-else")
	r.errs = nil
	if !other.Equal(want) || CheckAccount(r, "acct", c, other, want) || len(r.errs) != 1 || !strings.Contains(r.errs[0], "someone-else") {
		t.Errorf("account difference: Equal %v, reports %v", other.Equal(want), r.errs)
	}
	// An error result against an event.
	bad := Reference(Case{Name: "x", Body: []byte("{")})
	if bad.OK || !bytes.HasPrefix(bad.JSON, []byte(`{"error":`)) {
		t.Fatalf("Reference of a broken body: %+v", bad)
	}
	r.errs = nil
	if Check(r, "x", c, bad, want) || !strings.Contains(r.errs[0], "ok:") {
		t.Errorf("ok difference not reported: %v", r.errs)
	}
}

func TestFromDecode(t *testing.T) {
	var d decoder.Decoder
	c := Fixtures(t)[0]
	out, m, err := d.AppendDecode(nil, c.Body, c.Dialect)
	if got := FromDecode(t, out, m, err); !got.Equal(Reference(c)) {
		t.Errorf("FromDecode %s != Reference %s", got.JSON, Reference(c).JSON)
	}
	if _, err := result(nil, decoder.Meta{}, os.ErrClosed); err == nil {
		t.Error("a non-*decoder.Error was accepted")
	}
}
