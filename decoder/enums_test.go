package decoder_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

// The iteration functions list every value once, each with a name of its
// own that parses back, and nothing past the last one has a name.
func TestDialectsKindsCodes(t *testing.T) {
	ds := decoder.Dialects()
	if len(ds) != 5 || ds[0] != decoder.Auto || ds[4] != decoder.Gewe {
		t.Fatalf("Dialects() = %v", ds)
	}
	for i, d := range ds {
		if int(d) != i {
			t.Errorf("Dialects()[%d] = %d", i, d)
		}
		if back, ok := decoder.ParseDialect(d.String()); !ok || back != d {
			t.Errorf("%d: name %q parses to %v %v", d, d.String(), back, ok)
		}
	}
	if _, ok := decoder.ParseDialect(decoder.Dialect(len(ds)).String()); ok && decoder.Dialect(len(ds)).String() != "auto" {
		t.Errorf("a dialect past Dialects() has a name")
	}

	ks := decoder.Kinds()
	if ks[0] != decoder.KindUnknown || ks[len(ks)-1] != decoder.KindFileUpload {
		t.Fatalf("Kinds() = %v..%v", ks[0], ks[len(ks)-1])
	}
	seen := map[string]bool{}
	for i, k := range ks {
		if int(k) != i {
			t.Errorf("Kinds()[%d] = %d", i, k)
		}
		n := k.String()
		if seen[n] {
			t.Errorf("kind name %q twice", n)
		}
		seen[n] = true
		if back, ok := decoder.ParseKind(n); !ok || back != k {
			t.Errorf("%d: name %q parses to %v %v", k, n, back, ok)
		}
	}
	if past := decoder.Kind(len(ks)); past.String() != "unknown" {
		t.Errorf("Kind(%d).String() = %q, want unknown", past, past.String())
	}

	cs := decoder.Codes()
	if !slices.Contains(cs, decoder.CodeInternal) || !slices.Contains(cs, decoder.CodeEmpty) {
		t.Fatalf("Codes() = %v", cs)
	}
	seenc := map[decoder.Code]bool{}
	for _, c := range cs {
		if seenc[c] || c == "" || strings.ToLower(string(c)) != string(c) {
			t.Errorf("code %q repeated, empty or not lower case", c)
		}
		seenc[c] = true
	}
	cs[0] = "changed"
	if decoder.Codes()[0] == "changed" {
		t.Error("Codes() returns shared storage")
	}
}

// Every Code constant declared in package decoder is in Codes(): the list
// cannot fall behind a new code.
func TestCodesListsEveryConstant(t *testing.T) {
	// The package's non-test files (it has no build-tagged ones).
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	listed := map[string]bool{}
	for _, c := range decoder.Codes() {
		listed[string(c)] = true
	}
	n := 0
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok {
						continue
					}
					val, _ := strconv.Unquote(lit.Value)
					n++
					if !listed[val] {
						t.Errorf("code %q is declared but not in Codes()", val)
					}
				}
			}
		}
	}
	if n != len(listed) {
		t.Errorf("%d Code constants declared, Codes() has %d", n, len(listed))
	}
}
