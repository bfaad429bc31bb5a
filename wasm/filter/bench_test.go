package main

import (
	"context"
	"os"
	"testing"

	"github.com/wxhook/wxhook/wasm/proxywasm/proxytest"
)

// BenchmarkRequest is the filter's cost per request in the proxytest host:
// context create, headers, the body in one chunk, decode, body replacement
// (normalize) or not (annotate), properties, done and delete. The host's own
// work (copying the body in and out, recording the result) is included.
func BenchmarkRequest(b *testing.B) {
	for _, c := range []struct{ name, file string }{
		{"text", "testdata/callbacks/eyun/seed_text_private.json"},
		{"xml", "testdata/callbacks/eyun/seed_image_private.json"},
	} {
		body, err := os.ReadFile(c.file)
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"normalize", "annotate"} {
			b.Run(c.name+"/"+mode, func(b *testing.B) {
				vm := newHost(b, proxytest.Options{})
				p := startPlugin(b, vm, `{"mode":"`+mode+`"}`)
				h := post("/hook")
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					s := p.NewStream()
					if err := s.Send(h, body); err != nil {
						b.Fatal(err)
					}
					if s.LocalReply != nil {
						b.Fatalf("reply %+v", s.LocalReply)
					}
				}
				b.StopTimer()
				checkClean(b, vm)
			})
		}
	}
}

// BenchmarkVMStart is what a new Envoy VM (one per worker thread, and a
// canary, on every configuration load) pays for the filter once the module
// is compiled: instantiate, _initialize, create and configure the plugin.
// "preinit" is the module build.sh ships; "raw" the same build without
// pre-initialization, whose _initialize runs the Go runtime's and the
// packages' init.
func BenchmarkVMStart(b *testing.B) {
	for _, c := range []struct {
		name string
		wasm []byte
	}{{"preinit", moduleBytes}, {"raw", rawBytes}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			m, err := proxytest.Compile(ctx, c.wasm, proxytest.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close(ctx)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				vm, err := m.NewVM(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := vm.StartPlugin([]byte(`{"mode":"normalize"}`)); err != nil {
					b.Fatal(err)
				}
				vm.Close()
			}
		})
	}
}
