package host

import (
	"context"
	"testing"
)

// BenchmarkCallOverhead is the cost of calling a trivial export, with and
// without wazero's per-call context watcher.
func BenchmarkCallOverhead(b *testing.B) {
	b.Run("nointerrupt", func(b *testing.B) { callOverhead(b, false) })
	b.Run("interrupt", func(b *testing.B) { callOverhead(b, true) })
}

func callOverhead(b *testing.B, intr bool) {
	e, err := New(context.Background(), WithMaxInstances(1), WithCompilationCache(testCache), WithCloseOnContextDone(intr))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	inst := <-e.idle
	fn := inst.mod.ExportedFunction("wxhook_abi_version")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := fn.CallWithStack(ctx, inst.stack); err != nil {
			b.Fatal(err)
		}
	}
	e.idle <- inst
}
