package host

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/wxhook/wxhook/internal/abi"
)

// TestModuleUpToDate runs ../build.sh --check, which rebuilds the module
// and compares it with host/wxhook.wasm, and checks that the test binary
// embeds that file: the parity tests are only meaningful when the module was
// built from the decoder being tested.
func TestModuleUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module; skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("go not on PATH: %v", err)
	}
	out, err := exec.Command("sh", "../build.sh", "--check").CombinedOutput()
	if err != nil {
		t.Fatalf("../build.sh --check: %v\n%s", err, out)
	}
	onDisk, err := os.ReadFile("wxhook.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, Module()) {
		t.Fatalf("the embedded module (%d bytes) is not host/wxhook.wasm (%d bytes): rebuild the test binary", len(Module()), len(onDisk))
	}
}

// Module returns the embedded module as a copy: writing into what it
// returned does not change what a later call (or New) sees.
func TestModuleIsACopy(t *testing.T) {
	a := Module()
	if len(a) < 8 || string(a[:4]) != "\x00asm" {
		t.Fatalf("Module() does not start with the wasm magic: % x", a[:min(len(a), 8)])
	}
	want := bytes.Clone(a)
	clear(a)
	if b := Module(); !bytes.Equal(b, want) {
		t.Fatal("clearing Module()'s result changed the embedded module")
	}
}

// The module exports internal/abi's functions and announces a header that
// holds the account fields.
func TestModuleABI(t *testing.T) {
	e := sharedEngine(t)
	exported := e.compiled.ExportedFunctions()
	for _, name := range abi.Exports {
		if _, ok := exported[name]; !ok {
			t.Errorf("the module does not export %s", name)
		}
	}
	inst, err := e.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer e.release(inst)
	h, ok := inst.mem.Read(inst.hdr, abi.HeaderSize)
	if !ok || int(le16(h[abi.HdrLen:])) != abi.HeaderSize || !hasAccount(h) {
		t.Fatalf("header announces %d bytes, want %d", le16(h[abi.HdrLen:]), abi.HeaderSize)
	}
}
