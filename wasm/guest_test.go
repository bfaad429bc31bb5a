package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/wxhook/wxhook/decoder"
)

// These tests run the guest's logic natively; host/ runs the real module.

func TestHeaderLayout(t *testing.T) {
	// ABI.md fixes these offsets; the host reads them with Memory().Read.
	var h header
	for _, c := range []struct {
		name string
		off  uintptr
		want uintptr
	}{
		{"outPtr", unsafe.Offsetof(h.outPtr), 0},
		{"outLen", unsafe.Offsetof(h.outLen), 4},
		{"dedupOff", unsafe.Offsetof(h.dedupOff), 8},
		{"dedupLen", unsafe.Offsetof(h.dedupLen), 12},
		{"vendor", unsafe.Offsetof(h.vendor), 16},
		{"kind", unsafe.Offsetof(h.kind), 17},
		{"status", unsafe.Offsetof(h.status), 20},
		{"inPtr", unsafe.Offsetof(h.inPtr), 24},
		{"inCap", unsafe.Offsetof(h.inCap), 28},
	} {
		if c.off != c.want {
			t.Errorf("header.%s at %d, ABI.md says %d", c.name, c.off, c.want)
		}
	}
	if s := unsafe.Sizeof(h); s != 32 {
		t.Errorf("header is %d bytes, ABI.md says 32", s)
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
	paths, _ := filepath.Glob("../testdata/callbacks/*/*.json")
	if len(paths) == 0 {
		t.Skip("no fixtures under ../testdata/callbacks")
	}
	var g guest
	g.setup()
	var d decoder.Decoder
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want, m, err := d.AppendDecode(nil, body, decoder.Auto)
		status := g.decode(body, decoder.Auto)
		if err != nil {
			if status != statusError || !bytes.Equal(g.out, err.(*decoder.Error).AppendJSON(nil)) {
				t.Errorf("%s: status %d, out %s; want the error JSON of %v", p, status, g.out, err)
			}
			continue
		}
		if status != statusOK || !bytes.Equal(g.out, want) {
			t.Errorf("%s: status %d, out %s; want %s", p, status, g.out, want)
			continue
		}
		if g.hdr.vendor != uint8(m.Vendor) || g.hdr.kind != uint8(m.Kind) || g.hdr.outLen != uint32(len(want)) ||
			string(g.out[g.hdr.dedupOff:g.hdr.dedupOff+g.hdr.dedupLen]) != string(m.DedupKey) {
			t.Errorf("%s: header %+v does not describe vendor %v kind %v dedup %q", p, g.hdr, m.Vendor, m.Kind, m.DedupKey)
		}
	}
}

func TestDecodeAtRejectsForeignMemory(t *testing.T) {
	var g guest
	g.setup()
	// On a 64-bit test machine no uint32 address lies in g.in, which is
	// exactly the foreign-pointer case; the result must be statusBadInput
	// with an empty output, never a read.
	if s := g.decodeAt(0, 10, 0); s != statusBadInput || g.hdr.outLen != 0 || g.hdr.status != statusBadInput {
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
	if g.decode(body, decoder.Auto) != statusOK {
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
