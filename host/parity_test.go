package host

import (
	"bufio"
	"encoding/binary"
	"io"
	"os/exec"
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

	t.Run("node", func(t *testing.T) {
		got := runNode(t, cs, "node")
		bad := 0
		for i := range cs {
			check(t, "node", cs[i], got[i], want[i], &bad)
		}
		t.Logf("%d payloads through one node process; mismatches: %d", len(cs), bad)
	})
	t.Run("node-minimal-wasi", func(t *testing.T) {
		// The edge's shim (minimalWASI) on the fixtures and the first
		// generated payloads: the WASI layer must not change the output.
		n := min(len(cs), 2000)
		got := runNode(t, cs[:n], "minimal")
		for i := range n {
			if !conformance.Check(t, "node (minimal WASI)", cs[i], got[i], want[i]) {
				t.FailNow()
			}
		}
	})
}

// check is conformance.Check that reports only the first 10 mismatches it
// counts in *n (the test fails on every one).
func check(t *testing.T, runtime string, c conformance.Case, got, want conformance.Result, n *int) bool {
	t.Helper()
	if got.Equal(want) {
		return true
	}
	if *n++; *n <= 10 {
		conformance.Check(t, runtime, c, got, want)
	} else {
		t.Fail()
	}
	return false
}

// runNode is the Node adapter: it streams the cases through
// wasm/js/node-runner.mjs (one process, one module instance, the one JS
// loader wasm/js/wxhook.mjs) and returns its answers in order. It skips the
// test when node is not installed.
func runNode(t *testing.T, cs []conformance.Case, wasi string) []conformance.Result {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skipf("node is not on PATH (%v): the Node leg of the parity test needs Node.js >= 20", err)
	}
	cmd := exec.Command(node, "--no-warnings", "../wasm/js/node-runner.mjs", "--wasi="+wasi, "wxhook.wasm")
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
	out := make([]conformance.Result, len(cs))
	for i := range cs {
		var h [15]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			cmd.Wait()
			t.Fatalf("node runner stopped after %d of %d payloads (%v); stderr:\n%s", i, len(cs), err, stderr.String())
		}
		n := binary.LittleEndian.Uint32(h[:4]) - 11
		js := make([]byte, n)
		if _, err := io.ReadFull(r, js); err != nil {
			t.Fatalf("node runner: short frame %d: %v", i, err)
		}
		res := conformance.Result{OK: h[4] == 0, JSON: js}
		if res.OK {
			res.Vendor, res.Kind = decoder.Dialect(h[5]), decoder.Kind(h[6])
			off, dl := binary.LittleEndian.Uint32(h[7:11]), binary.LittleEndian.Uint32(h[11:15])
			if uint64(off)+uint64(dl) > uint64(n) {
				t.Fatalf("node runner: dedup key outside output in frame %d", i)
			}
			if dl > 0 {
				res.DedupKey = js[off : off+dl]
			}
		}
		out[i] = res
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node runner: %v; stderr:\n%s", err, stderr.String())
	}
	return out
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
