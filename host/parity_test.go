package host

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

// TestParity: native == wazero == Node, byte for byte, errors included,
// and the same Meta, on the conformance kit's parity corpus (fixtures, fuzz
// corpus, conformance.Generated() mutations: 12,000 with
// WXHOOK_LONG_TESTS=1, a few hundred otherwise).
func TestParity(t *testing.T) {
	cs := conformance.Parity(t, conformance.Generated())
	e := sharedEngine(t)
	want := make([]conformance.Result, len(cs))
	bad, rawBad := 0, 0
	errs := 0
	for i, c := range cs {
		want[i] = conformance.Reference(c)
		if !want[i].OK {
			errs++
		}
		// The module's own bytes, then what Engine returns (errors
		// re-read into *decoder.Error and written again).
		if !check(t, "wazero module bytes", c, guestResult(t, e, c.Body, c.Dialect), want[i], &rawBad) {
			continue
		}
		check(t, "wazero Engine", c, viaHost(t, e, c.Body, c.Dialect), want[i], &bad)
	}
	t.Logf("%d payloads (%d generated), %d of them errors; mismatches: module bytes %d, Engine results %d",
		len(cs), conformance.Generated(), errs, rawBad, bad)

	// The Node adapter: one node process, the module compiled once, one
	// instance with node:wasi and one with the edge's minimalWASI shim (the
	// WASI layer must not change the output).
	t.Run("node", func(t *testing.T) {
		modes := []string{"node", "minimal"}
		got := runNode(t, cs, modes)
		for m, mode := range modes {
			bad := 0
			for i := range cs {
				check(t, "node ("+mode+" WASI)", cs[i], got[m][i], want[i], &bad)
			}
			t.Logf("%d payloads through one node process, %s WASI; mismatches: %d", len(cs), mode, bad)
		}
	})
}

// check is conformance.Check and CheckAccount that report only the first 10 mismatches it
// counts in *n (the test fails on every one).
func check(t *testing.T, runtime string, c conformance.Case, got, want conformance.Result, n *int) bool {
	t.Helper()
	if got.Equal(want) && bytes.Equal(got.Account, want.Account) {
		return true
	}
	if *n++; *n <= 10 {
		conformance.Check(t, runtime, c, got, want)
		conformance.CheckAccount(t, runtime, c, got, want)
	} else {
		t.Fail()
	}
	return false
}

// runNode is the Node adapter: it streams the cases through
// wasm/js/node-runner.mjs (one process, the one JS loader wasm/js/wxhook.mjs,
// one module instance per WASI layer in modes) and returns each instance's
// answers in order. It skips the test when node is not installed.
func runNode(t *testing.T, cs []conformance.Case, modes []string) [][]conformance.Result {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skipf("node is not on PATH (%v): the Node leg of the parity test needs Node.js >= 20", err)
	}
	cmd := exec.Command(node, "--no-warnings", "../wasm/js/node-runner.mjs", "--wasi="+strings.Join(modes, ","), "wxhook.wasm")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		w := bufio.NewWriterSize(stdin, 1<<16)
		var h [5]byte
		for _, c := range cs {
			binary.LittleEndian.PutUint32(h[:4], uint32(len(c.Body)))
			h[4] = byte(c.Dialect)
			w.Write(h[:])
			w.Write(c.Body)
		}
		w.Flush()
		stdin.Close()
	}()
	r := bufio.NewReaderSize(stdout, 1<<16)
	out := make([][]conformance.Result, len(modes))
	for m := range modes {
		out[m] = make([]conformance.Result, len(cs))
	}
	for i := range cs {
		for m := range modes {
			res, err := readFrame(r)
			if err != nil {
				cmd.Wait()
				t.Fatalf("node runner: frame %d of %d (%s WASI): %v; stderr:\n%s", i, len(cs), modes[m], err, stderr.String())
			}
			out[m][i] = res
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node runner: %v; stderr:\n%s", err, stderr.String())
	}
	return out
}

// readFrame reads one answer frame of node-runner.mjs.
func readFrame(r *bufio.Reader) (conformance.Result, error) {
	const head = 19
	var h [4 + head]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return conformance.Result{}, err
	}
	size := binary.LittleEndian.Uint32(h[:4])
	if size < head {
		return conformance.Result{}, fmt.Errorf("frame of %d bytes", size)
	}
	n := size - head
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return conformance.Result{}, fmt.Errorf("short frame: %w", err)
	}
	res := conformance.Result{OK: h[4] == 0, JSON: js}
	if !res.OK {
		return res, nil
	}
	res.Vendor, res.Kind = decoder.Dialect(h[5]), decoder.Kind(h[6])
	for _, f := range []struct {
		at  int
		dst *[]byte
	}{{7, &res.DedupKey}, {15, &res.Account}} {
		off, l := binary.LittleEndian.Uint32(h[f.at:]), binary.LittleEndian.Uint32(h[f.at+4:])
		if uint64(off)+uint64(l) > uint64(n) {
			return res, fmt.Errorf("field at header byte %d outside the output", f.at)
		}
		if l > 0 {
			*f.dst = js[off : off+l]
		}
	}
	return res, nil
}

// limitedBuffer keeps the first 64 KiB written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 64<<10 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
