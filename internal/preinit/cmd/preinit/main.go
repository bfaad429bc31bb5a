// Command preinit writes a pre-initialized copy of a Go wasip1 reactor
// module (package preinit): build.sh runs it on the module it builds.
//
//	go run ./internal/preinit/cmd/preinit IN.wasm OUT.wasm
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/wxhook/wxhook/internal/preinit"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: preinit IN.wasm OUT.wasm")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "preinit:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	wasm, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	snap, err := preinit.Snapshot(context.Background(), wasm)
	if err != nil {
		return err
	}
	return os.WriteFile(out, snap, 0o644)
}
