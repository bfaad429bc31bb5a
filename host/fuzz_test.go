package host

import (
	"bytes"
	"context"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/abi"
	"github.com/wxhook/wxhook/internal/conformance"
)

// FuzzParity is a differential fuzz target: for any body and dialect the
// module under wazero must produce exactly the native decoder's bytes -
// canonical JSON, or canonical error JSON - and the same Meta. It compares
// the guest's own bytes (as the Node leg does); TestParity also checks the
// typed errors that Engine returns.
func FuzzParity(f *testing.F) {
	for _, x := range fixtures(f) {
		f.Add(x.Body, uint8(x.Dialect))
	}
	e := sharedEngine(f)
	f.Fuzz(func(t *testing.T, body []byte, dialect uint8) {
		d := decoder.Dialect(dialect % 4)
		var dec decoder.Decoder
		want := native(t, &dec, body, d)
		got := guestResult(t, e, body, d)
		if !got.Equal(want) || !bytes.Equal(got.Account, want.Account) {
			t.Fatalf("wazero != native (dialect %v):\n wazero %s %v %v %q\n native %s %v %v %q",
				d, got.JSON, got.Vendor, got.Kind, got.DedupKey, want.JSON, want.Vendor, want.Kind, want.DedupKey)
		}
	})
}

// guestResult runs one call and returns the guest's raw answer.
func guestResult(t testing.TB, e *Engine, body []byte, d decoder.Dialect) conformance.Result {
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
	r := conformance.Result{OK: status == abi.StatusOK, JSON: bytes.Clone(out)}
	switch status {
	case abi.StatusOK:
		r.Vendor, r.Kind = decoder.Dialect(h[abi.HdrVendor]), decoder.Kind(h[abi.HdrKind])
		if off, n := le32(h[abi.HdrDedupOff:]), le32(h[abi.HdrDedupLen:]); n > 0 {
			r.DedupKey = r.JSON[off : off+n]
		}
		if !hasAccount(h) {
			t.Fatalf("the module's header (%d bytes) has no account fields", le16(h[abi.HdrLen:]))
		}
		if off, n := le32(h[abi.HdrAccountOff:]), le32(h[abi.HdrAccountLen:]); n > 0 {
			r.Account = r.JSON[off : off+n]
		}
	case abi.StatusError:
	default:
		t.Fatalf("guest status %d", status)
	}
	return r
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
