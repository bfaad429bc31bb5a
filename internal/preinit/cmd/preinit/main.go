// Command preinit writes a pre-initialized copy of a Go wasip1 reactor
// module (package preinit): build.sh runs it on the module and on the
// Envoy filter it builds.
//
//	go run ./internal/preinit/cmd/preinit [-trap MODULE,...] IN.wasm OUT.wasm
//
// -trap names import modules whose functions are linked to stubs that fail
// the build if the module's _initialize calls them (preinit.TrapImports):
// "env" for a proxy-wasm filter.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/wxhook/wxhook/internal/preinit"
)

func main() {
	trap := flag.String("trap", "", "comma-separated import modules stubbed to fail if _initialize calls them")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: preinit [-trap MODULE,...] IN.wasm OUT.wasm")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	var opts []preinit.Option
	if *trap != "" {
		for _, m := range strings.Split(*trap, ",") {
			opts = append(opts, preinit.TrapImports(m))
		}
	}
	if err := run(flag.Arg(0), flag.Arg(1), opts); err != nil {
		fmt.Fprintln(os.Stderr, "preinit:", err)
		os.Exit(1)
	}
}

func run(in, out string, opts []preinit.Option) error {
	wasm, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	snap, err := preinit.Snapshot(context.Background(), wasm, opts...)
	if err != nil {
		return err
	}
	return os.WriteFile(out, snap, 0o644)
}
