package host

import (
	"context"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

// benchFixtures are a text and an XML (or nested-content) callback of each
// dialect; wecom has no XML, its nested content is JSON inside a string.
var benchFixtures = []string{
	"wecom/seed_text_private", "wecom/seed_url",
	"eyun/seed_text_private", "eyun/seed_image_private",
	"dll/text_private", "dll/mini_program",
}

func benchBodies(b *testing.B) []conformance.Case {
	all := fixtures(b)
	var fs []conformance.Case
	for _, n := range benchFixtures {
		for _, f := range all {
			if f.Name == n {
				fs = append(fs, f)
			}
		}
	}
	return fs
}

func BenchmarkNative(b *testing.B) {
	for _, f := range benchBodies(b) {
		b.Run(f.Name, func(b *testing.B) {
			var d decoder.Decoder
			dst := make([]byte, 0, 64<<10)
			b.SetBytes(int64(len(f.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := d.AppendDecode(dst[:0], f.Body, f.Dialect); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchHost(b *testing.B, opts ...Option) {
	e, err := New(context.Background(), append([]Option{WithMaxInstances(1), WithCompilationCache(testCache)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	ctx := context.Background()
	for _, f := range benchBodies(b) {
		b.Run(f.Name, func(b *testing.B) {
			dst := make([]byte, 0, 64<<10)
			b.SetBytes(int64(len(f.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := e.AppendDecode(ctx, dst[:0], f.Body, f.Dialect); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHost is the wazero engine as configured by default: contexts are
// checked before each call, no termination checks in the compiled module.
func BenchmarkHost(b *testing.B) { benchHost(b) }

// BenchmarkHostInterrupt is the wazero engine with WithCloseOnContextDone:
// termination checks in every loop and a watcher goroutine per call.
func BenchmarkHostInterrupt(b *testing.B) { benchHost(b, WithCloseOnContextDone(true)) }

// BenchmarkHostParallel decodes the wazero text fixture from GOMAXPROCS
// goroutines through the pool.
func BenchmarkHostParallel(b *testing.B) {
	e, err := New(context.Background(), WithCompilationCache(testCache))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	f := benchBodies(b)[0]
	b.SetBytes(int64(len(f.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		dst := make([]byte, 0, 64<<10)
		for pb.Next() {
			if _, _, err := e.AppendDecode(context.Background(), dst[:0], f.Body, f.Dialect); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkColdStart is New (compile + first instance) and Close, without
// a compilation cache and with a warm on-disk one, and a further instance
// (instantiate + _initialize + the ABI checks) of a compiled module. Run
// with -benchtime=3x: one compile takes seconds. Each reports cpu-ns/op,
// the process's CPU time per op (all threads: wazero compiles in parallel).
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	b.Run("compile", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			e, err := New(ctx, WithMaxInstances(1))
			if err != nil {
				b.Fatal(err)
			}
			e.Close(ctx)
		}
	})
	b.Run("disk-cache", func(b *testing.B) {
		dir := b.TempDir()
		if e, err := New(ctx, WithCompilationCacheDir(dir)); err != nil { // fill the cache
			b.Fatal(err)
		} else {
			e.Close(ctx)
		}
		defer reportCPU(b)()
		for b.Loop() {
			e, err := New(ctx, WithMaxInstances(1), WithCompilationCacheDir(dir))
			if err != nil {
				b.Fatal(err)
			}
			e.Close(ctx)
		}
		os.RemoveAll(dir)
	})
	b.Run("instance", func(b *testing.B) {
		// A further instance of an already compiled module: what the pool
		// pays when it grows or replaces a broken instance.
		cache := wazero.NewCompilationCache()
		defer cache.Close(ctx)
		e, err := New(ctx, WithCompilationCache(cache), WithMaxInstances(1))
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close(ctx)
		defer reportCPU(b)()
		for b.Loop() {
			inst, err := e.newInstance(ctx)
			if err != nil {
				b.Fatal(err)
			}
			inst.close(ctx)
		}
	})
}

// reportCPU starts counting the process's CPU time; the function it returns
// reports it per op (deferred, so that it runs after the b.Loop loop).
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if start > 0 && b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
