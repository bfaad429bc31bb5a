package host

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
