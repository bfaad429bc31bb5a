package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/internal/preinit"
	"github.com/wxhook/wxhook/wasm/proxywasm/proxytest"
)

// moduleBytes is the filter built once per test binary from this
// directory, with build.sh's flags, and pre-initialized as build.sh does:
// what ships. rawBytes is the same build before pre-initialization.
var moduleBytes, rawBytes []byte

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wxhook-filter-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := filepath.Join(dir, "wxhook-filter.wasm")
	if err := buildFilter(out); err != nil {
		fmt.Fprintln(os.Stderr, "building the filter module:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	rawBytes, err = os.ReadFile(out)
	os.RemoveAll(dir)
	if err == nil {
		moduleBytes, err = snapshot(rawBytes)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// wazero's compiled code, kept between runs like Go's build cache
	// (keyed by the module's hash and wazero's version).
	if c, err := os.UserCacheDir(); err == nil {
		if err := proxytest.UseCacheDir(filepath.Join(c, "wxhook-proxytest")); err != nil {
			fmt.Fprintln(os.Stderr, "proxytest cache:", err)
		}
	}
	os.Exit(m.Run())
}

// buildFilter runs the same command as build.sh's build_filter (the Go
// build cache makes repeated runs cheap).
func buildFilter(out string, tags ...string) error {
	args := []string{"build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-pgo=off", "-ldflags=-s -w -buildid="}
	if len(tags) > 0 {
		args = append(args, "-tags="+strings.Join(tags, ","))
	}
	cmd := exec.Command("go", append(args, "-o", out, ".")...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=wasip1", "GOARCH=wasm", "GOWASM=satconv,signext", "GOFLAGS=")
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

// snapshot pre-initializes a build as build.sh does (preinit -trap env):
// Envoy's functions are stubs that fail the snapshot if the filter's
// start-up calls one.
func snapshot(raw []byte) ([]byte, error) {
	return preinit.Snapshot(context.Background(), raw, preinit.TrapImports("env"))
}

// newHost compiles the module with opts and starts one VM.
func newHost(t testing.TB, opts proxytest.Options) *proxytest.VM {
	t.Helper()
	ctx := context.Background()
	m, err := proxytest.Compile(ctx, moduleBytes, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(ctx) })
	vm, err := m.NewVM(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

// startPlugin configures a plugin and fails the test when it is refused.
func startPlugin(t testing.TB, vm *proxytest.VM, config string) *proxytest.Plugin {
	t.Helper()
	p, err := vm.StartPlugin([]byte(config))
	if err != nil {
		t.Fatalf("configuring %s: %v (logs %v)", config, err, vm.Logs)
	}
	return p
}

// post returns the request headers of a POST to path.
func post(path string, extra ...[2]string) [][2]string {
	h := [][2]string{{":method", "POST"}, {":path", path}, {":authority", "hooks.example"}, {":scheme", "https"},
		{"content-type", "application/json"}}
	return append(h, extra...)
}

// checkClean fails the test if the VM failed or the module did anything a
// host refuses.
func checkClean(t testing.TB, vm *proxytest.VM) {
	t.Helper()
	if err := vm.Failed(); err != nil {
		t.Fatalf("VM failed: %v", err)
	}
	if v := vm.Violations(); len(v) > 0 {
		t.Fatalf("ABI violations: %v", v)
	}
}
