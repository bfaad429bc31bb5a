package host

import (
	"bytes"
	"context"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

// FuzzParity is a differential fuzz target: for any body and dialect the
// module under wazero must produce exactly the native decoder's bytes -
// canonical JSON, or canonical error JSON - and the same Meta. It compares
// the guest's own bytes (as the Node leg does); TestParity also checks the
// typed errors that Engine returns.
func FuzzParity(f *testing.F) {
	for _, x := range fixtures(f) {
		f.Add(x.body, uint8(x.dialect))
	}
	e := sharedEngine(f)
	f.Fuzz(func(t *testing.T, body []byte, dialect uint8) {
		d := decoder.Dialect(dialect % 4)
		var dec decoder.Decoder
		want := native(t, &dec, body, d)
		got := guestResult(t, e, body, d)
		if !got.equal(want) {
			t.Fatalf("wazero != native (dialect %v):\n wazero %s %v %v %q\n native %s %v %v %q",
				d, got.json, got.vendor, got.kind, got.dedup, want.json, want.vendor, want.kind, want.dedup)
		}
	})
}

// guestResult runs one call and returns the guest's raw answer.
func guestResult(t testing.TB, e *Engine, body []byte, d decoder.Dialect) result {
	ctx := context.Background()
	inst, err := e.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status, out, h, err := inst.call(ctx, body, d)
	if err != nil {
		e.discard(ctx, inst)
		t.Fatalf("engine failure: %v", err)
	}
	defer e.release(inst)
	r := result{ok: status == statusOK, json: bytes.Clone(out)}
	switch status {
	case statusOK:
		r.vendor, r.kind = decoder.Dialect(h[hdrVendor]), decoder.Kind(h[hdrKind])
		if off, n := le32(h[hdrDedupOff:]), le32(h[hdrDedupLen:]); n > 0 {
			r.dedup = r.json[off : off+n]
		}
	case statusError:
	default:
		t.Fatalf("guest status %d", status)
	}
	return r
}
