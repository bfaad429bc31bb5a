// Command corpus exports the conformance corpus with its expected results
// as NDJSON, for the runtimes that are not Go (Node, workerd): one JSON
// object a line, as conformance.Record describes.
//
//	go run ./internal/conformance/cmd/corpus -o FILE [-generated N]
//
// -generated defaults to conformance.Generated(): 12,000 mutated payloads
// with WXHOOK_LONG_TESTS=1, a few hundred otherwise. "-o -" (the default)
// writes to stdout.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/wxhook/wxhook/internal/conformance"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("corpus", flag.ContinueOnError)
	out := fl.String("o", "-", "write the NDJSON to this file (- for stdout)")
	n := fl.Int("generated", conformance.Generated(), "how many mutated payloads to add to the fixtures and fuzz corpus")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 || *n < 0 {
		return fmt.Errorf("usage: corpus -o FILE [-generated N]")
	}
	cs, err := conformance.LoadParity(*n)
	if err != nil {
		return err
	}
	if *out == "-" {
		return conformance.WriteNDJSON(stdout, cs)
	}
	// Write beside the target and rename, so a reader never sees half a file.
	tmp := *out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := conformance.WriteNDJSON(f, cs); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, *out)
}
