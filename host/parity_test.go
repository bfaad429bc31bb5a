package host

import (
	"bufio"
	"encoding/binary"
	"io"
	"os/exec"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

// generated is how many mutated payloads the parity test makes; the brief
// asks for at least 10,000.
const generated = 12000

// parityPayloads is the parity corpus: every fixture with its own dialect
// and with Auto, every []byte fuzz corpus entry, and the generated ones.
func parityPayloads(t testing.TB) []payload {
	fs := fixtures(t)
	var ps []payload
	for _, f := range fs {
		ps = append(ps, payload{name: f.name + "@" + f.dialect.String(), dialect: f.dialect, body: f.body})
		if f.dialect != decoder.Auto {
			ps = append(ps, payload{name: f.name + "@auto", dialect: decoder.Auto, body: f.body})
		}
	}
	ps = append(ps, fuzzCorpus(t)...)
	return append(ps, generate(fs, generated, 20261123)...)
}

// TestParity: native == wazero == Node, byte for byte, errors included,
// and the same Meta.
func TestParity(t *testing.T) {
	ps := parityPayloads(t)
	e := sharedEngine(t)
	var d decoder.Decoder
	want := make([]result, len(ps))
	bad, rawBad := 0, 0
	errs := 0
	for i, p := range ps {
		want[i] = native(t, &d, p.body, p.dialect)
		want[i].json = append([]byte(nil), want[i].json...)
		want[i].dedup = append([]byte(nil), want[i].dedup...)
		if !want[i].ok {
			errs++
		}
		// The module's own bytes, then what Engine returns (errors
		// re-read into *decoder.Error and written again).
		if got := guestResult(t, e, p.body, p.dialect); !got.equal(want[i]) {
			if rawBad++; rawBad <= 10 {
				t.Errorf("module bytes != native for %s (body %q):\n wazero %s\n native %s", p.name, trim(p.body), got.json, want[i].json)
			}
		} else if got := viaHost(t, e, p.body, p.dialect); !got.equal(want[i]) {
			if bad++; bad <= 10 {
				t.Errorf("Engine result != native for %s (body %q):\n wazero %s\n native %s", p.name, trim(p.body), got.json, want[i].json)
			}
		}
	}
	t.Logf("%d payloads (%d generated), %d of them errors; mismatches: module bytes %d, Engine results %d", len(ps), generated, errs, rawBad, bad)

	t.Run("node", func(t *testing.T) {
		got := runNode(t, ps, "node")
		bad := 0
		for i := range ps {
			if !got[i].equal(want[i]) {
				if bad++; bad <= 10 {
					t.Errorf("node != native for %s (body %q):\n node   %s\n native %s", ps[i].name, trim(ps[i].body), got[i].json, want[i].json)
				}
			}
		}
		t.Logf("%d payloads through one node process; mismatches: %d", len(ps), bad)
	})
	t.Run("node-minimal-wasi", func(t *testing.T) {
		// The edge's shim (minimalWASI) on the fixtures and the first
		// generated payloads: the WASI layer must not change the output.
		n := min(len(ps), 2000)
		got := runNode(t, ps[:n], "minimal")
		for i := range n {
			if !got[i].equal(want[i]) {
				t.Fatalf("node (minimal WASI) != native for %s:\n node   %s\n native %s", ps[i].name, got[i].json, want[i].json)
			}
		}
	})
}

func trim(b []byte) []byte {
	if len(b) > 300 {
		return b[:300]
	}
	return b
}

// runNode streams the payloads through wasm/js/node-runner.mjs and returns
// its answers in order. It skips the test when node is not installed.
func runNode(t *testing.T, ps []payload, wasi string) []result {
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
		for _, p := range ps {
			binary.LittleEndian.PutUint32(h[:4], uint32(len(p.body)))
			h[4] = byte(p.dialect)
			w.Write(h[:])
			w.Write(p.body)
		}
		w.Flush()
		stdin.Close()
	}()
	r := bufio.NewReaderSize(stdout, 1<<16)
	out := make([]result, len(ps))
	for i := range ps {
		var h [15]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			cmd.Wait()
			t.Fatalf("node runner stopped after %d of %d payloads (%v); stderr:\n%s", i, len(ps), err, stderr.String())
		}
		n := binary.LittleEndian.Uint32(h[:4]) - 11
		js := make([]byte, n)
		if _, err := io.ReadFull(r, js); err != nil {
			t.Fatalf("node runner: short frame %d: %v", i, err)
		}
		res := result{ok: h[4] == 0, json: js}
		if res.ok {
			res.vendor, res.kind = decoder.Dialect(h[5]), decoder.Kind(h[6])
			off, dl := binary.LittleEndian.Uint32(h[7:11]), binary.LittleEndian.Uint32(h[11:15])
			if uint64(off)+uint64(dl) > uint64(n) {
				t.Fatalf("node runner: dedup key outside output in frame %d", i)
			}
			if dl > 0 {
				res.dedup = js[off : off+dl]
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
