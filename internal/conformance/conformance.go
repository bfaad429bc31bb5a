// Package conformance is wxhook's conformance kit: the one place that loads
// the corpus every decoding runtime is held to (testdata/callbacks, the
// golden files, the Go fuzzing corpus and seeded mutations of the fixtures),
// computes the expected answer with the native decoder, and compares a
// runtime's answer with it.
//
// A runtime under test is one adapter: it turns its own answer for a Case
// into a Result and calls Check. Go runtimes use this package directly;
// runtimes in other languages read the same cases, with their expected
// results, from the NDJSON file that cmd/corpus writes:
//
//	go run ./internal/conformance/cmd/corpus -o FILE [-generated N]
//
// One Record a line: {"name", "dialect" ("auto"|"wecom"|"eyun"|"dll"),
// "body" (standard base64 of the exact bytes), "ok", "json" (the expected
// canonical JSON, or canonical error JSON, as a string), "vendor", "kind",
// "dedup_key", "account" (all "" when !ok), "from" (generated cases only)}.
// A JS adapter decodes base64(body) with dialect and compares its json bytes
// (UTF-8 of the string), ok, vendor and kind names, and the dedupKey and
// account substrings of its output with the record's.
//
// The default sizes are short; WXHOOK_LONG_TESTS=1 (Long) asks for the full
// sets, which CI runs.
package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

// modulePath is the module whose testdata/ is the corpus. Dir looks for its
// go.mod rather than any go.mod: a runtime's own Go module (a proxy-wasm
// filter, say) may live inside the repository.
const modulePath = "github.com/wxhook/wxhook"

// LongEnv is the environment variable that asks for the long test sets
// (CI sets it): WXHOOK_LONG_TESTS=1.
const LongEnv = "WXHOOK_LONG_TESTS"

// Seed is the seed of the generated payloads.
const Seed = 20261123

// Generated counts of mutated payloads: the full set, run when Long, and the
// default one, a prefix of the full set.
const (
	FullGenerated    = 12000
	DefaultGenerated = 400
)

// Long reports whether WXHOOK_LONG_TESTS=1 asks for the long sets.
func Long() bool { return os.Getenv(LongEnv) == "1" }

// Generated is how many mutated payloads a parity run uses by default:
// FullGenerated when Long, DefaultGenerated otherwise.
func Generated() int {
	if Long() {
		return FullGenerated
	}
	return DefaultGenerated
}

// Case is one body to decode with one dialect.
type Case struct {
	// Name identifies the case: "eyun/seed_text_private" (a fixture with
	// its directory's dialect), "eyun/seed_text_private@auto" (the same
	// with detection), "fuzz/FuzzDecode/0d6ce7a3b26e793b#0@wecom" (a fuzz
	// corpus value) or "gen/00042" (a generated payload).
	Name    string
	Dialect decoder.Dialect // from the fixture's directory (invalid/ → decoder.Auto)
	Body    []byte
	// From says how a generated case was made: the fixture it mutates and
	// the mutations ("eyun/seed_text_private:truncate+xml"). Empty otherwise.
	From string
}

// Result is a runtime's answer reduced to what every runtime must produce
// identically.
type Result struct {
	OK       bool            // decoded (canonical event) vs rejected (canonical error JSON)
	JSON     []byte          // canonical event JSON, or canonical error JSON {"error":{…}}
	Vendor   decoder.Dialect // Meta (zero when !OK)
	Kind     decoder.Kind
	DedupKey []byte
	// Account is Meta.Account (the "account" as written in the JSON,
	// escaped; empty when !OK). Equal and Check leave it out, because not
	// every runtime reports it (the proxy-wasm filter publishes no
	// account); a runtime that does checks it with CheckAccount.
	Account []byte
}

// Equal reports whether two results are the same answer (Account aside:
// see CheckAccount).
func (r Result) Equal(o Result) bool {
	return r.OK == o.OK && bytes.Equal(r.JSON, o.JSON) && r.Vendor == o.Vendor && r.Kind == o.Kind &&
		bytes.Equal(r.DedupKey, o.DedupKey)
}

var (
	dirOnce sync.Once
	dir     string
	dirErr  error
)

// Dir returns the absolute path of the repository's testdata/, symbolic
// links resolved (each package's testdata links to it). It is found by
// walking up from the working directory, then from this source file, to the
// go.mod of github.com/wxhook/wxhook. It panics when there is none: the kit
// cannot run outside a checkout.
func Dir() string {
	dirOnce.Do(func() { dir, dirErr = findDir() })
	if dirErr != nil {
		panic(dirErr)
	}
	return dir
}

func findDir() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, s := range starts {
		s, err := filepath.EvalSymlinks(s)
		if err != nil {
			continue
		}
		for d := s; ; d = filepath.Dir(d) {
			if isRoot(d) {
				td, err := filepath.EvalSymlinks(filepath.Join(d, "testdata"))
				if err != nil {
					return "", fmt.Errorf("conformance: %s has no testdata: %w", d, err)
				}
				return td, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("conformance: no go.mod of %s above %v", modulePath, starts)
}

// isRoot reports whether d holds the go.mod of modulePath.
func isRoot(d string) bool {
	f, err := os.Open(filepath.Join(d, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "module ") {
			return strings.Trim(strings.TrimSpace(l[len("module "):]), `"`) == modulePath
		}
	}
	return false
}

var (
	fixOnce sync.Once
	fixAll  []Case
	fixErr  error
)

// Fixtures returns every testdata/callbacks/<dir>/*.json, sorted by path,
// with its directory's dialect (invalid/ → decoder.Auto). Each call returns
// fresh copies of the bodies, so a test may write into them.
func Fixtures(t testing.TB) []Case {
	t.Helper()
	fs, err := fixtures()
	if err != nil {
		t.Fatal(err)
	}
	return clone(fs)
}

func fixtures() ([]Case, error) {
	fixOnce.Do(func() { fixAll, fixErr = readFixtures() })
	return fixAll, fixErr
}

func readFixtures() ([]Case, error) {
	root := filepath.Join(Dir(), "callbacks")
	paths, err := filepath.Glob(filepath.Join(root, "*", "*.json"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("conformance: no fixtures under %s: %v", root, err)
	}
	sort.Strings(paths)
	cs := make([]Case, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		dir := filepath.Base(filepath.Dir(p))
		d, _ := decoder.ParseDialect(dir) // "invalid" → Auto
		cs = append(cs, Case{Name: dir + "/" + strings.TrimSuffix(filepath.Base(p), ".json"), Dialect: d, Body: b})
	}
	return cs, nil
}

func clone(cs []Case) []Case {
	out := make([]Case, len(cs))
	for i, c := range cs {
		c.Body = bytes.Clone(c.Body)
		out[i] = c
	}
	return out
}

// GoldenPath returns the golden file of a fixture case:
// testdata/golden/<dir>/<file>.json (an "@dialect" suffix is ignored: every
// dialect choice of a fixture must give the same bytes).
func GoldenPath(c Case) string {
	name, _, _ := strings.Cut(c.Name, "@")
	return filepath.Join(Dir(), "golden", filepath.FromSlash(name)+".json")
}

// Golden returns the content of c's golden file without its trailing
// newline. The test fails when there is none.
func Golden(t testing.TB, c Case) []byte {
	t.Helper()
	b, err := os.ReadFile(GoldenPath(c))
	if err != nil {
		t.Fatalf("%s: no golden file (run go test ./decoder -run TestGolden -update and review the diff): %v", c.Name, err)
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}

// FuzzCorpus returns every []byte value of every entry under testdata/fuzz/
// (the Go fuzzing corpus format), once with each dialect. Entries without a
// []byte value are skipped. Names are "fuzz/<target>/<file>#<value>@<dialect>".
func FuzzCorpus(t testing.TB) []Case {
	t.Helper()
	cs, err := fuzzCorpus()
	if err != nil {
		t.Fatal(err)
	}
	return clone(cs)
}

var (
	fuzzOnce sync.Once
	fuzzAll  []Case
	fuzzErr  error
)

func fuzzCorpus() ([]Case, error) {
	fuzzOnce.Do(func() { fuzzAll, fuzzErr = readFuzzCorpus() })
	return fuzzAll, fuzzErr
}

func readFuzzCorpus() ([]Case, error) {
	root := filepath.Join(Dir(), "fuzz")
	paths, _ := filepath.Glob(filepath.Join(root, "*", "*"))
	var cs []Case
	var errs []error
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		lines := strings.Split(string(b), "\n")
		if len(lines) == 0 || lines[0] != "go test fuzz v1" {
			continue
		}
		rel, _ := filepath.Rel(root, p)
		v := 0
		for _, l := range lines[1:] {
			l = strings.TrimSpace(l)
			if !strings.HasPrefix(l, "[]byte(") || !strings.HasSuffix(l, ")") {
				continue
			}
			s, err := strconv.Unquote(l[len("[]byte(") : len(l)-1])
			if err != nil {
				errs = append(errs, fmt.Errorf("conformance: %s: unreadable []byte value: %v", p, err))
				continue
			}
			name := "fuzz/" + filepath.ToSlash(rel) + "#" + strconv.Itoa(v)
			v++
			for _, d := range decoder.Dialects() {
				cs = append(cs, Case{Name: name + "@" + d.String(), Dialect: d, Body: []byte(s)})
			}
		}
	}
	return cs, errors.Join(errs...)
}

// Parity returns the parity corpus: every fixture with its own dialect and,
// unless that is Auto, again with Auto (name suffix "@auto"); every []byte
// value of the fuzz corpus with every dialect; then generated mutations of
// the fixtures (seeded: the same n always gives the same cases, and a
// smaller n a prefix of them).
func Parity(t testing.TB, generated int) []Case {
	t.Helper()
	cs, err := LoadParity(generated)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// LoadParity is Parity for programs: it returns an error instead of
// failing a test.
func LoadParity(generated int) ([]Case, error) {
	fixed, err := fixtures()
	if err != nil {
		return nil, err
	}
	fuzz, err := fuzzCorpus()
	if err != nil {
		return nil, err
	}
	fs := clone(fixed)
	var cs []Case
	for _, f := range fs {
		cs = append(cs, f)
		if f.Dialect != decoder.Auto {
			cs = append(cs, Case{Name: f.Name + "@auto", Dialect: decoder.Auto, Body: f.Body})
		}
	}
	cs = append(cs, clone(fuzz)...)
	return append(cs, generate(fs, generated, Seed)...), nil
}

var refPool = sync.Pool{New: func() any { return new(decoder.Decoder) }}

// Reference returns the native decoder's answer for c: the result every
// runtime must give. The returned slices are the caller's.
func Reference(c Case) Result {
	d := refPool.Get().(*decoder.Decoder)
	defer refPool.Put(d)
	out, m, err := d.AppendDecode(nil, c.Body, c.Dialect)
	r, rerr := result(out, m, err)
	if rerr != nil {
		// The native decoder broke its own contract; answer with an
		// internal error so that no runtime can match it silently.
		e := decoder.NewError(decoder.CodeInternal, c.Dialect, rerr.Error())
		return Result{JSON: e.AppendJSON(nil)}
	}
	return r
}

// FromDecode converts an AppendDecode answer (of any Go runtime) into a
// Result, copying the bytes. It fails the test when err is not a
// *decoder.Error: every decoding error must be one.
func FromDecode(t testing.TB, out []byte, m decoder.Meta, err error) Result {
	t.Helper()
	r, rerr := result(out, m, err)
	if rerr != nil {
		t.Fatal(rerr)
	}
	return r
}

func result(out []byte, m decoder.Meta, err error) (Result, error) {
	if err != nil {
		var de *decoder.Error
		if !errors.As(err, &de) {
			return Result{}, fmt.Errorf("conformance: error %T is not a *decoder.Error: %v", err, err)
		}
		return Result{JSON: de.AppendJSON(nil)}, nil
	}
	return Result{OK: true, JSON: bytes.Clone(out), Vendor: m.Vendor, Kind: m.Kind, DedupKey: bytes.Clone(m.DedupKey),
		Account: bytes.Clone(m.Account)}, nil
}

// Check compares a runtime's result for c with the expected one and reports
// a readable difference (t.Errorf) when they differ. It returns whether
// they are equal, so that a caller may stop after a few failures.
func Check(t testing.TB, runtime string, c Case, got, want Result) bool {
	t.Helper()
	if got.Equal(want) {
		return true
	}
	t.Errorf("%s != native for %s (dialect %s)%s\n%s\n body %q", runtime, c.Name, c.Dialect, from(c),
		Diff(got, want, runtime), trim(c.Body))
	return false
}

// CheckAccount is Check for Result.Account, for the runtimes that report
// Meta.Account (the native decoder, the wazero host, the JS loader).
func CheckAccount(t testing.TB, runtime string, c Case, got, want Result) bool {
	t.Helper()
	if bytes.Equal(got.Account, want.Account) {
		return true
	}
	t.Errorf("%s != native for %s (dialect %s)%s\n account:\n  %s %q\n  native %q", runtime, c.Name, c.Dialect, from(c),
		runtime, got.Account, want.Account)
	return false
}

func from(c Case) string {
	if c.From == "" {
		return ""
	}
	return " from " + c.From
}

// Diff describes how got differs from want, one line per differing part;
// it is empty when they are equal.
func Diff(got, want Result, runtime string) string {
	var b strings.Builder
	w := max(len(runtime), len("native"))
	line := func(what, g, n string) {
		fmt.Fprintf(&b, " %s:\n  %-*s %s\n  %-*s %s\n", what, w, runtime, g, w, "native", n)
	}
	if got.OK != want.OK {
		line("ok", strconv.FormatBool(got.OK), strconv.FormatBool(want.OK))
	}
	if !bytes.Equal(got.JSON, want.JSON) {
		at := 0
		for at < len(got.JSON) && at < len(want.JSON) && got.JSON[at] == want.JSON[at] {
			at++
		}
		line("json (first difference at byte "+strconv.Itoa(at)+")", string(got.JSON), string(want.JSON))
	}
	if got.Vendor != want.Vendor {
		line("vendor", got.Vendor.String(), want.Vendor.String())
	}
	if got.Kind != want.Kind {
		line("kind", got.Kind.String(), want.Kind.String())
	}
	if !bytes.Equal(got.DedupKey, want.DedupKey) {
		line("dedup_key", strconv.Quote(string(got.DedupKey)), strconv.Quote(string(want.DedupKey)))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func trim(b []byte) []byte {
	if len(b) > 300 {
		return b[:300]
	}
	return b
}
