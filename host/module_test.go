package host

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wxhook/wxhook/internal/abi"
)

// TestModuleUpToDate rebuilds the module the way build.sh does and compares
// it with the embedded one: the parity tests are only meaningful when the
// module was built from the decoder being tested.
func TestModuleUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go not on PATH: %v", err)
	}
	out := filepath.Join(t.TempDir(), "wxhook.wasm")
	// Keep in step with build_module in ../build.sh.
	cmd := exec.Command(gobin, "build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-pgo=off",
		"-ldflags=-s -w -buildid=", "-o", out, "../wasm")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=wasip1", "GOARCH=wasm", "GOWASM=satconv,signext", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the module: %v\n%s", err, b)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, Module) {
		t.Fatalf("host/wxhook.wasm (%d bytes) differs from a fresh build of ./wasm (%d bytes): run ./build.sh", len(Module), len(fresh))
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
