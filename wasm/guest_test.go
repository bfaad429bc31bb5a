package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/abi"
	"github.com/wxhook/wxhook/internal/conformance"
)

// These tests run the guest's logic natively; host/ runs the real module.

func TestHeaderLayout(t *testing.T) {
	// internal/abi fixes these offsets; the hosts read them from memory.
	var h header
	for _, c := range []struct {
		name string
		off  uintptr
		want uintptr
	}{
		{"outPtr", unsafe.Offsetof(h.outPtr), abi.HdrOutPtr},
		{"outLen", unsafe.Offsetof(h.outLen), abi.HdrOutLen},
		{"dedupOff", unsafe.Offsetof(h.dedupOff), abi.HdrDedupOff},
		{"dedupLen", unsafe.Offsetof(h.dedupLen), abi.HdrDedupLen},
		{"vendor", unsafe.Offsetof(h.vendor), abi.HdrVendor},
		{"kind", unsafe.Offsetof(h.kind), abi.HdrKind},
		{"size", unsafe.Offsetof(h.size), abi.HdrLen},
		{"status", unsafe.Offsetof(h.status), abi.HdrStatus},
		{"inPtr", unsafe.Offsetof(h.inPtr), abi.HdrInPtr},
		{"inCap", unsafe.Offsetof(h.inCap), abi.HdrInCap},
		{"accountOff", unsafe.Offsetof(h.accountOff), abi.HdrAccountOff},
		{"accountLen", unsafe.Offsetof(h.accountLen), abi.HdrAccountLen},
	} {
		if c.off != c.want {
			t.Errorf("header.%s at %d, internal/abi says %d", c.name, c.off, c.want)
		}
	}
	if s := unsafe.Sizeof(h); s != abi.HeaderSize {
		t.Errorf("header is %d bytes, internal/abi says %d", s, abi.HeaderSize)
	}
	var g guest
	g.setup()
	if g.hdr.size != abi.HeaderSize {
		t.Errorf("header announces %d bytes, want %d", g.hdr.size, abi.HeaderSize)
	}
}

// The //go:wasmexport names are internal/abi's export names.
func TestExportNames(t *testing.T) {
	src, err := os.ReadFile("exports_wasip1.go")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(string(src), "\n") {
		if name, ok := strings.CutPrefix(l, "//go:wasmexport "); ok {
			got = append(got, strings.TrimSpace(name))
		}
	}
	if want := abi.Exports[:]; !slices.Equal(got, want) {
		t.Errorf("exports_wasip1.go exports %v, internal/abi %v", got, want)
	}
}

func TestInputGrowsAndRefuses(t *testing.T) {
	var g guest
	g.setup()
	if b := g.input(10); len(b) != 64<<10 {
		t.Fatalf("input(10) = %d bytes, want the initial 64 KiB", len(b))
	}
	first := unsafe.SliceData(g.in)
	if g.input(64 << 10); unsafe.SliceData(g.in) != first {
		t.Fatal("input grew although the buffer was large enough")
	}
	if b := g.input(100 << 10); len(b) < 100<<10 || g.hdr.inCap != uint32(len(b)) {
		t.Fatalf("input(100 KiB) = %d bytes, header cap %d", len(b), g.hdr.inCap)
	}
	if b := g.input(maxInput + 1); b != nil {
		t.Fatal("input beyond maxInput was granted")
	}
	if b := g.input(-1); b != nil {
		t.Fatal("negative input was granted")
	}
}

func TestDecodeMatchesDecoder(t *testing.T) {
	var g guest
	g.setup()
	var d decoder.Decoder
	for _, c := range conformance.Fixtures(t) {
		p, body := c.Name, c.Body
		want, m, err := d.AppendDecode(nil, body, decoder.Auto)
		status := g.decode(body, decoder.Auto)
		if err != nil {
			if status != abi.StatusError || !bytes.Equal(g.out, err.(*decoder.Error).AppendJSON(nil)) {
				t.Errorf("%s: status %d, out %s; want the error JSON of %v", p, status, g.out, err)
			}
			continue
		}
		if status != abi.StatusOK || !bytes.Equal(g.out, want) {
			t.Errorf("%s: status %d, out %s; want %s", p, status, g.out, want)
			continue
		}
		if g.hdr.vendor != uint8(m.Vendor) || g.hdr.kind != uint8(m.Kind) || g.hdr.outLen != uint32(len(want)) ||
			string(g.out[g.hdr.dedupOff:g.hdr.dedupOff+g.hdr.dedupLen]) != string(m.DedupKey) ||
			string(g.out[g.hdr.accountOff:g.hdr.accountOff+g.hdr.accountLen]) != string(m.Account) {
			t.Errorf("%s: header %+v does not describe vendor %v kind %v dedup %q account %q", p, g.hdr, m.Vendor, m.Kind, m.DedupKey, m.Account)
		}
	}
}

func TestDecodeAtRejectsForeignMemory(t *testing.T) {
	var g guest
	g.setup()
	// On a 64-bit test machine no uint32 address lies in g.in, which is
	// exactly the foreign-pointer case; the result must be statusBadInput
	// with an empty output, never a read.
	if s := g.decodeAt(0, 10, 0); s != abi.StatusBadInput || g.hdr.outLen != 0 || g.hdr.status != abi.StatusBadInput {
		t.Fatalf("decodeAt(0, 10) = %d, header %+v", s, g.hdr)
	}
}

func TestSteadyStateAllocs(t *testing.T) {
	body, err := os.ReadFile("../testdata/callbacks/wecom/seed_text_private.json")
	if err != nil {
		t.Skip(err)
	}
	var g guest
	g.setup()
	if g.decode(body, decoder.Auto) != abi.StatusOK {
		t.Fatalf("fixture does not decode: %s", g.out)
	}
	if n := testing.AllocsPerRun(100, func() { g.decode(body, decoder.Auto) }); n != 0 {
		t.Fatalf("%v allocations per decode in steady state, want 0", n)
	}
}

func TestPanicText(t *testing.T) {
	if s := panicText("boom"); s != "panic: boom" {
		t.Fatal(s)
	}
	if s := panicText(42); s != "panic" {
		t.Fatal(s)
	}
}
