package host

import (
	"bytes"
	"context"
	"testing"
	"unsafe"

	"github.com/tetratelabs/wazero/experimental"

	"github.com/wxhook/wxhook/decoder"
)

// checkLinearMemory grows m page by page, as memory.grow does, and checks
// that contents survive, lengths are exact and the limit holds.
func checkLinearMemory(t *testing.T, m experimental.LinearMemory, max uint64, fixed bool) {
	t.Helper()
	const page = 64 << 10
	b := m.Reallocate(page)
	if uint64(len(b)) != page {
		t.Fatalf("first Reallocate: %d bytes", len(b))
	}
	base := unsafe.SliceData(b)
	for i := range b {
		b[i] = byte(i)
	}
	for size := uint64(2 * page); size <= max; size *= 2 {
		nb := m.Reallocate(size)
		if uint64(len(nb)) != size {
			t.Fatalf("Reallocate(%d): %d bytes", size, len(nb))
		}
		if !bytes.Equal(nb[:page], b[:page]) {
			t.Fatalf("Reallocate(%d) lost the contents", size)
		}
		if fixed && unsafe.SliceData(nb) != base {
			t.Fatalf("Reallocate(%d) moved a fixed mapping", size)
		}
		b = nb
	}
	if m.Reallocate(max+page) != nil {
		t.Fatalf("Reallocate beyond the maximum of %d bytes succeeded", max)
	}
	m.Free()
	m.Free() // wazero and the host may both free: the second is a no-op
}

func TestSliceMemory(t *testing.T) {
	checkLinearMemory(t, &sliceMemory{max: 8 << 20}, 8<<20, false)
}

func TestReservedMemory(t *testing.T) {
	m := reserve(8 << 20)
	if m == nil {
		t.Skip("no mapped memory on this platform: the slice fallback is used")
	}
	checkLinearMemory(t, m, 8<<20, true)
}

// BenchmarkLargeBody is an eyun image callback of 4 MiB (a base64
// thumbnail) on a fresh instance, whose memory must grow, and on a warm one.
func BenchmarkLargeBody(b *testing.B) {
	ctx := context.Background()
	e, err := New(ctx, WithMaxInstances(1), WithCompilationCache(testCache))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	src := imageBody(4 << 20)
	b.Run("first-call", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			b.StopTimer()
			inst, err := e.newInstance(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			status, out, h, err := inst.call(ctx, src, decoder.Auto)
			if _, _, err, broken := inst.result(nil, decoder.Auto, status, out, h, err); err != nil || broken {
				b.Fatal(err)
			}
			b.StopTimer()
			inst.close(ctx)
			b.StartTimer()
		}
	})
	b.Run("warm", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		var dst []byte
		for b.Loop() {
			if dst, _, err = e.AppendDecode(ctx, dst[:0], src, decoder.Auto); err != nil {
				b.Fatal(err)
			}
		}
	})
}
