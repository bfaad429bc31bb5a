package preinit

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// sec is a section of fewer than 128 bytes.
func sec(id byte, payload ...byte) []byte {
	return append([]byte{id, byte(len(payload))}, payload...)
}

// tinyReactor is a hand-assembled reactor: _initialize writes memory[100]
// = 42, sets an i32 and an i64 global, and grows the memory by a page;
// g0 and g1 return the globals; one data segment puts "hi" at 0.
func tinyReactor() []byte {
	var m []byte
	m = append(m, 0, 'a', 's', 'm', 1, 0, 0, 0)
	m = append(m, sec(secType, 3,
		0x60, 0, 0, // 0: () -> ()
		0x60, 0, 1, 0x7f, // 1: () -> i32
		0x60, 0, 1, 0x7e)...) // 2: () -> i64
	m = append(m, sec(secFunction, 3, 0, 1, 2)...)
	m = append(m, sec(secMemory, 1, 0, 1)...)
	m = append(m, sec(secGlobal, 2,
		0x7f, 1, 0x41, 0, 0x0b,
		0x7e, 1, 0x42, 0x0b, 0x0b)...) // i64.const 11: an immediate that looks like end
	m = append(m, sec(secExport, 4,
		11, '_', 'i', 'n', 'i', 't', 'i', 'a', 'l', 'i', 'z', 'e', kindFunc, 0,
		2, 'g', '0', kindFunc, 1,
		2, 'g', '1', kindFunc, 2,
		6, 'm', 'e', 'm', 'o', 'r', 'y', kindMemory, 0)...)
	init := []byte{0,
		0x41, 0xe4, 0x00, 0x41, 42, 0x3a, 0, 0, // i32.store8 mem[100] = 42
		0x41, 0xf9, 0x00, 0x24, 0, // global 0 = 121 (two-byte LEB)
		0x42, 0x7b, 0x24, 1, // global 1 = -5
		0x41, 1, 0x40, 0, 0x1a, // memory.grow 1; drop
		0x0b}
	g0 := []byte{0, 0x23, 0, 0x0b}
	g1 := []byte{0, 0x23, 1, 0x0b}
	code := []byte{3}
	for _, body := range [][]byte{init, g0, g1} {
		code = append(code, byte(len(body)))
		code = append(code, body...)
	}
	m = append(m, sec(secCode, code...)...)
	m = append(m, sec(secData, 1, 0, 0x41, 0, 0x0b, 2, 'h', 'i')...)
	return m
}

func TestSnapshotKeepsStateAndEmptiesInitialize(t *testing.T) {
	ctx := context.Background()
	snap, err := Snapshot(ctx, tinyReactor())
	if err != nil {
		t.Fatal(err)
	}
	if !IsSnapshot(snap) || IsSnapshot(tinyReactor()) {
		t.Fatal("IsSnapshot does not tell the snapshot from its input")
	}
	again, err := Snapshot(ctx, tinyReactor())
	if err != nil || !bytes.Equal(snap, again) {
		t.Fatalf("two snapshots of one module differ (err %v)", err)
	}
	if _, err := Snapshot(ctx, snap); err == nil {
		t.Fatal("a snapshot was snapshotted again")
	}

	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	// No start function: the state must be there without _initialize.
	mod, err := rt.InstantiateWithConfig(ctx, snap, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		t.Fatal(err)
	}
	mem := mod.Memory()
	if mem.Size() != 2*65536 {
		t.Errorf("memory is %d bytes, want the 2 pages _initialize left", mem.Size())
	}
	if b, _ := mem.Read(0, 2); string(b) != "hi" {
		t.Errorf("memory[0:2] = %q, want the data segment's \"hi\"", b)
	}
	if b, _ := mem.ReadByte(100); b != 42 {
		t.Errorf("memory[100] = %d, want 42 (written by _initialize)", b)
	}
	if r, err := mod.ExportedFunction("g0").Call(ctx); err != nil || int32(r[0]) != 121 {
		t.Errorf("global 0 = %v (%v), want 121", r, err)
	}
	if r, err := mod.ExportedFunction("g1").Call(ctx); err != nil || int64(r[0]) != -5 {
		t.Errorf("global 1 = %v (%v), want -5", r, err)
	}
	// _initialize is exported and does nothing.
	mem.WriteByte(100, 0)
	if _, err := mod.ExportedFunction("_initialize").Call(ctx); err != nil {
		t.Fatal(err)
	}
	if b, _ := mem.ReadByte(100); b != 0 || mem.Size() != 2*65536 {
		t.Errorf("_initialize of the snapshot changed memory (memory[100] = %d, %d bytes)", b, mem.Size())
	}
}

func TestSnapshotRefusesWhatItCannotCopy(t *testing.T) {
	ctx := context.Background()
	m := tinyReactor()
	cases := map[string][]byte{
		"not wasm":      []byte("hello, world"),
		"truncated":     m[:len(m)-3],
		"no initialize": bytes.Replace(m, []byte("_initialize"), []byte("_Initialize"), 1),
	}
	for name, in := range cases {
		if _, err := Snapshot(ctx, in); err == nil {
			t.Errorf("%s: Snapshot accepted it", name)
		}
	}
}

// hostReactor is a hand-assembled reactor importing env.f (i32) -> i32, as
// a proxy-wasm filter imports its host's functions: _initialize writes
// memory[100] = 1 and, when callHost, calls env.f first; "use" calls env.f
// after start-up and returns its result.
func hostReactor(callHost bool) []byte {
	var m []byte
	m = append(m, 0, 'a', 's', 'm', 1, 0, 0, 0)
	m = append(m, sec(secType, 2,
		0x60, 0, 0, // 0: () -> ()
		0x60, 1, 0x7f, 1, 0x7f)...) // 1: (i32) -> i32
	m = append(m, sec(secImport, 1, 3, 'e', 'n', 'v', 1, 'f', kindFunc, 1)...)
	m = append(m, sec(secFunction, 2, 0, 1)...) // 1: _initialize, 2: use
	m = append(m, sec(secMemory, 1, 0, 1)...)
	m = append(m, sec(secExport, 3,
		11, '_', 'i', 'n', 'i', 't', 'i', 'a', 'l', 'i', 'z', 'e', kindFunc, 1,
		3, 'u', 's', 'e', kindFunc, 2,
		6, 'm', 'e', 'm', 'o', 'r', 'y', kindMemory, 0)...)
	init := []byte{0}
	if callHost {
		init = append(init, 0x41, 7, 0x10, 0, 0x1a) // env.f(7); drop
	}
	init = append(init, 0x41, 0xe4, 0x00, 0x41, 1, 0x3a, 0, 0, 0x0b) // i32.store8 mem[100] = 1
	use := []byte{0, 0x20, 0, 0x10, 0, 0x0b}                         // env.f(param 0)
	code := []byte{2}
	for _, body := range [][]byte{init, use} {
		code = append(code, byte(len(body)))
		code = append(code, body...)
	}
	m = append(m, sec(secCode, code...)...)
	m = append(m, sec(secData, 1, 0, 0x41, 0, 0x0b, 2, 'h', 'i')...)
	return m
}

func TestTrapImportsRefusesStartUpThatCallsTheHost(t *testing.T) {
	ctx := context.Background()
	_, err := Snapshot(ctx, hostReactor(true), TrapImports("env"))
	if err == nil || !strings.Contains(err.Error(), "_initialize called env.f") {
		t.Fatalf("Snapshot: %v, want _initialize's call of the stub env.f refused", err)
	}
	// Without TrapImports an import Snapshot cannot answer is refused
	// before anything runs, whether _initialize calls it or not.
	for _, call := range []bool{true, false} {
		_, err := Snapshot(ctx, hostReactor(call))
		if err == nil || !strings.Contains(err.Error(), "env.f") || !strings.Contains(err.Error(), "TrapImports") {
			t.Errorf("Snapshot without TrapImports (call %v): %v, want env.f refused", call, err)
		}
	}
	if _, err := Snapshot(ctx, hostReactor(false), TrapImports("wasi_snapshot_preview1")); err == nil {
		t.Error("Snapshot accepted to trap WASI, which it provides")
	}
}

func TestTrapImportsKeepsImportsOfAStartUpThatDoesNotCallThem(t *testing.T) {
	ctx := context.Background()
	snap, err := Snapshot(ctx, hostReactor(false), TrapImports("env"))
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	// The real host's env.f: the snapshot still imports it.
	var calls []uint32
	_, err = rt.NewHostModuleBuilder("env").NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, s []uint64) {
			calls = append(calls, uint32(s[0]))
			s[0] = uint64(uint32(s[0]) * 2)
		}), []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}).
		Export("f").Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := rt.InstantiateWithConfig(ctx, snap, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := mod.Memory().ReadByte(100); b != 1 {
		t.Errorf("memory[100] = %d, want the 1 _initialize wrote at build time", b)
	}
	if _, err := mod.ExportedFunction("_initialize").Call(ctx); err != nil {
		t.Fatal(err)
	}
	if r, err := mod.ExportedFunction("use").Call(ctx, 21); err != nil || uint32(r[0]) != 42 {
		t.Errorf("use(21) = %v (%v), want 42 from the host's env.f", r, err)
	}
	if len(calls) != 1 || calls[0] != 21 {
		t.Errorf("env.f calls %v, want only use's [21]", calls)
	}
}

func TestSegmentsKeepShortGaps(t *testing.T) {
	mem := make([]byte, 4*dataGap)
	mem[3], mem[4] = 1, 2
	mem[4+dataGap+1] = 3 // a gap of dataGap zeros: same segment
	far := 4 + dataGap + 1 + dataGap + 2
	mem[far] = 4 // a gap of dataGap+1 zeros: a new segment
	got := segments(mem)
	want := [][2]int{{3, 4 + dataGap + 2}, {far, far + 1}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("segments = %v, want %v", got, want)
	}
}

func TestAppendS64(t *testing.T) {
	for v, want := range map[int64][]byte{
		0: {0}, 11: {0x0b}, 63: {0x3f}, 64: {0xc0, 0}, -1: {0x7f}, -5: {0x7b}, -64: {0x40}, -65: {0xbf, 0x7f},
		121: {0xf9, 0}, 1 << 31: {0x80, 0x80, 0x80, 0x80, 0x08},
	} {
		if got := appendS64(nil, v); !bytes.Equal(got, want) {
			t.Errorf("appendS64(%d) = %x, want %x", v, got, want)
		}
	}
}

// The committed module is pre-initialized (build.sh runs Snapshot), so its
// hosts find the Go runtime started without running _initialize.
func TestCommittedModuleIsSnapshot(t *testing.T) {
	b, err := os.ReadFile("../../host/wxhook.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if !IsSnapshot(b) {
		t.Fatal("host/wxhook.wasm is not pre-initialized: build it with ./build.sh")
	}
}
