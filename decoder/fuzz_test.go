package decoder_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

// FuzzDecode: no input makes the decoder panic; every success is one line of
// valid canonical JSON with a key-safe dedup key; every failure is an *Error
// whose JSON is valid; decoding is deterministic and leaks no state between
// calls on a reused Decoder.
func FuzzDecode(f *testing.F) {
	for _, c := range conformance.Fixtures(f) {
		f.Add(c.Body, uint8(0))
		if c.Dialect != decoder.Auto {
			f.Add(c.Body, uint8(c.Dialect))
		}
	}
	var reused decoder.Decoder
	f.Fuzz(func(t *testing.T, body []byte, dialectByte uint8) {
		dialect := decoder.Dialect(dialectByte % uint8(len(decoder.Dialects())))
		in := bytes.Clone(body)
		out, meta, err := reused.AppendDecode(nil, body, dialect)
		if !bytes.Equal(in, body) {
			t.Fatal("the decoder wrote into its input")
		}
		var fresh decoder.Decoder
		out2, _, err2 := fresh.AppendDecode(nil, body, dialect)
		if (err == nil) != (err2 == nil) || !bytes.Equal(out, out2) {
			t.Fatalf("reused and fresh decoders differ:\n%s %v\n%s %v", out, err, out2, err2)
		}
		if err != nil {
			var e *decoder.Error
			if !errors.As(err, &e) || e.Code == "" {
				t.Fatalf("error is not a coded *decoder.Error: %#v", err)
			}
			if ej := e.AppendJSON(nil); !json.Valid(ej) {
				t.Fatalf("error JSON invalid: %s", ej)
			}
			if err2.Error() != err.Error() {
				t.Fatalf("errors differ: %v / %v", err, err2)
			}
			return
		}
		if !json.Valid(out) || bytes.ContainsAny(out, "\n\r") {
			t.Fatalf("canonical JSON invalid or multi-line: %q", out)
		}
		if len(meta.DedupKey) == 0 || meta.Vendor == decoder.Auto {
			t.Fatalf("meta = %+v", meta)
		}
		for i, c := range meta.DedupKey {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || bytes.IndexByte([]byte("@._:-*+%"), c) >= 0) {
				t.Fatalf("dedup key %q has %q", meta.DedupKey, c)
			}
			if c == '%' && !(i+2 < len(meta.DedupKey) && isUpperHex(meta.DedupKey[i+1]) && isUpperHex(meta.DedupKey[i+2])) {
				t.Fatalf("dedup key %q: %% at %d is not an escape", meta.DedupKey, i)
			}
		}
		if dialect != decoder.Auto && meta.Vendor != dialect {
			t.Fatalf("asked for %v, got %v", dialect, meta.Vendor)
		}
		// The canonical JSON reads back into the same event.
		var ev decoder.Event
		if err := fresh.Decode(body, dialect, &ev); err != nil {
			t.Fatal(err)
		}
		// The hot path's writer (writeEvent) writes what the generated
		// MarshalEasyJSON writes, byte for byte.
		if gen := ev.AppendJSON(nil); !bytes.Equal(gen, out) {
			t.Fatalf("AppendDecode and the generated writer differ:\n%s\n%s", out, gen)
		}
		// (Compared as JSON values: the writer escapes invalid UTF-8 as
		// \ufffd, which reads back as U+FFFD and is then written as is.)
		again := ev.Clone().AppendJSON(nil)
		var a, b any
		if json.Unmarshal(again, &a) != nil || json.Unmarshal(out, &b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("clone differs:\n%s\n%s", again, out)
		}
	})
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }
