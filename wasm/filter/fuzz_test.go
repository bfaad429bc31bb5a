package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
	"github.com/wxhook/wxhook/wasm/proxywasm/proxytest"
)

// FuzzFilterConfig: parseConfig never panics, and what it accepts is valid.
func FuzzFilterConfig(f *testing.F) {
	for _, s := range []string{`{"mode":"normalize"}`,
		`{"mode":"annotate","dialect":"dll","max_body":16777216,"on_error":"pass","hold_headers":true,"paths":[{"prefix":"/a/","dialect":"eyun"},{"path":"/b"}]}`,
		`{"mode":"annotate","paths":[{"path":"/a","prefix":"/b"}]}`, `{"mode":"x"}`, `[]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseConfig(b)
		if err != nil {
			var ce *configError
			if c != nil || !errors.As(err, &ce) || err.Error() == "" {
				t.Fatalf("error %v with config %+v", err, c)
			}
			return
		}
		if c.mode != modeNormalize && c.mode != modeAnnotate || c.maxBody < 1 || c.maxBody > decoder.MaxInput || c.dialect > decoder.DLL {
			t.Fatalf("accepted invalid %+v", c)
		}
		for _, r := range c.routes {
			if r.path == "" || r.path[0] != '/' || r.dialect > decoder.DLL {
				t.Fatalf("accepted invalid route %+v", r)
			}
		}
	})
}

// fuzzHost is one VM and plugin for a whole fuzzing process.
var fuzzHost struct {
	vm *proxytest.VM
	p  *proxytest.Plugin
}

// FuzzFilterBody sends arbitrary bodies, cut at an arbitrary point, through the
// compiled filter: the VM never fails, and the result is the native
// decoder's (normalized JSON or the canonical error in a 400).
func FuzzFilterBody(f *testing.F) {
	files, _ := filepath.Glob("testdata/callbacks/*/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err == nil && len(b) < 4096 {
			f.Add(b, uint16(len(b)/2))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, cut uint16) {
		if fuzzHost.vm == nil {
			// Kept for the process: the module is compiled once (cached),
			// and a failed VM fails the input that broke it.
			m, err := proxytest.Compile(context.Background(), moduleBytes, proxytest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			vm, err := m.NewVM(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := vm.StartPlugin([]byte(`{"mode":"normalize","max_body":65536}`))
			if err != nil {
				t.Fatal(err)
			}
			fuzzHost.vm, fuzzHost.p = vm, p
		}
		if len(body) > 65536 {
			return
		}
		at := int(cut) % (len(body) + 1)
		s := fuzzHost.p.NewStream()
		if err := s.Send(post("/hook"), body[:at], body[at:]); err != nil {
			t.Fatal(err)
		}
		checkClean(t, fuzzHost.vm)
		c := conformance.Case{Name: "fuzz", Dialect: decoder.Auto, Body: body}
		conformance.Check(t, "proxy-wasm filter", c, result(t, s), conformance.Reference(c))
	})
}
