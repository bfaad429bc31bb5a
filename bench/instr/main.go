// Command instr decodes one callback N times, natively or under wazero, for
// counting instructions with callgrind: repeatable figures on a shared,
// noisy machine, where wall-clock benchmarks move by ±25% between runs.
//
// Under wazero, callgrind loses track of the Go call stack when the guest is
// entered (wazero switches stacks), so --toggle-collect does not work; but
// it starts a new dump at each return into loop, so with --dump-before each
// dump is one decode and the most frequent dump size is the cost of one:
//
//	go build -o /tmp/instr ./bench/instr
//	/tmp/instr testdata/callbacks/eyun/seed_text_private.json eyun 10 wazero # fill the compilation cache
//	GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=callgrind --smc-check=all \
//	  --dump-before=main.loop --callgrind-out-file=/tmp/cg/o /tmp/instr \
//	  testdata/callbacks/eyun/seed_text_private.json eyun 300 wazero
//	grep -h -m1 '^summary:' /tmp/cg/o.* | sort | uniq -c | sort -rn | head -1
//
// Some payloads (the XML ones, on 2026-12-02) have not always split into one
// dump per decode. For those, sum the dumps' summaries at two N and divide the
// difference by the difference of N: that also charges the host's copies and
// the guest's GC to each decode, as a long run does. Leave out the first dump
// (o.1, the start-up: compiling and instantiating), which does not grow with N
// but moves by tens of millions of instructions between runs:
//
//	for n in 1000 3000; do mkdir -p /tmp/cg$n; GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind \
//	  --tool=callgrind --smc-check=all --dump-before=main.loop \
//	  --callgrind-out-file=/tmp/cg$n/o /tmp/instr \
//	  testdata/callbacks/eyun/xml_image.json eyun $n wazero
//	done  # then (sum of the summaries of /tmp/cg3000/o.* but o.1 - the same for /tmp/cg1000) / 2000
//
// Natively, count the whole loop and divide by N:
//
//	GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=callgrind \
//	  --toggle-collect=main.loop --callgrind-out-file=/tmp/cg/n /tmp/instr \
//	  testdata/callbacks/eyun/seed_text_private.json eyun 10000 native
//
// asyncpreemptoff keeps Go's preemption signals from aborting callgrind;
// cpu.rdtscp=off keeps the runtime from the RDTSCP instruction, which
// valgrind 3.19 does not know (the run dies with SIGILL when a lock waits).
//
// The wazero compilation cache is $WXHOOK_WASM_CACHE, or a directory under
// the user cache directory as for `wxhook serve`.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/host"
)

// loop decodes body n times with e.
//
//go:noinline
func loop(e decoder.Engine, body []byte, d decoder.Dialect, n int) int {
	dst := make([]byte, 0, 64<<10)
	total := 0
	for i := 0; i < n; i++ {
		out, _, err := e.AppendDecode(context.Background(), dst[:0], body, d)
		if err != nil {
			fmt.Fprintln(os.Stderr, "instr:", err)
			os.Exit(1)
		}
		total += len(out)
	}
	return total
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: instr FILE DIALECT N native|wazero")
		os.Exit(2)
	}
	body, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "instr:", err)
		os.Exit(1)
	}
	d, ok := decoder.ParseDialect(os.Args[2])
	n, err := strconv.Atoi(os.Args[3])
	if !ok || err != nil {
		fmt.Fprintln(os.Stderr, "instr: bad dialect or N")
		os.Exit(2)
	}
	var e decoder.Engine
	switch os.Args[4] {
	case "native":
		e = decoder.NewEngine()
	case "wazero":
		dir := os.Getenv("WXHOOK_WASM_CACHE")
		if dir == "" {
			c, err := os.UserCacheDir()
			if err != nil {
				c = os.TempDir()
			}
			dir = filepath.Join(c, "wxhook", "wazero")
		}
		e, err = host.New(context.Background(), host.WithMaxInstances(1), host.WithCompilationCacheDir(dir))
		if err != nil {
			fmt.Fprintln(os.Stderr, "instr:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "instr: the engine is native or wazero")
		os.Exit(2)
	}
	loop(e, body, d, 2) // warm up: buffers grown, code paths taken once
	fmt.Println(loop(e, body, d, n))
	e.Close(context.Background())
}
