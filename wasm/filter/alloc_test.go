package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wxhook/wxhook/internal/conformance"
	"github.com/wxhook/wxhook/wasm/proxywasm/proxytest"
)

// TestSteadyStateAllocations counts the Go heap allocations inside the
// module (a build with -tags wxhook_debug, which adds one export) over many
// requests after a warm-up: a decoded text or XML callback, normalized or
// annotated, allocates nothing. It builds a second module, so it runs with
// WXHOOK_LONG_TESTS=1.
func TestSteadyStateAllocations(t *testing.T) {
	if !conformance.Long() {
		t.Skip("builds a second module; set WXHOOK_LONG_TESTS=1")
	}
	out := filepath.Join(t.TempDir(), "debug.wasm")
	if err := buildFilter(out, "wxhook_debug"); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := snapshot(raw)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := proxytest.Compile(ctx, wasm, proxytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	vm, err := m.NewVM(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ mode, file string }{
		{"normalize", "testdata/callbacks/eyun/seed_text_private.json"},
		{"annotate", "testdata/callbacks/wecom/seed_text_private.json"},
		{"normalize", "testdata/callbacks/eyun/seed_image_private.json"},
		{"annotate", "testdata/callbacks/dll/mini_program.json"},
	} {
		body, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		p := startPlugin(t, vm, `{"mode":"`+c.mode+`"}`)
		send := func(n int) {
			for i := 0; i < n; i++ {
				s := p.NewStream()
				if err := s.Send(post("/hook"), body[:len(body)/2], body[len(body)/2:]); err != nil {
					t.Fatal(err)
				}
				if s.LocalReply != nil {
					t.Fatalf("%s: %+v", c.file, s.LocalReply)
				}
			}
		}
		send(50)
		before, err := vm.CallExport("wxhook_debug_mallocs")
		if err != nil {
			t.Fatal(err)
		}
		const n = 500
		send(n)
		after, _ := vm.CallExport("wxhook_debug_mallocs")
		t.Logf("%s %s: %d allocations in %d requests", c.mode, c.file, after-before, n)
		if after != before {
			t.Errorf("%s %s: %d allocations in %d requests, want 0", c.mode, c.file, after-before, n)
		}
	}
	checkClean(t, vm)
}
