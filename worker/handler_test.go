package worker

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

// TestDecodeRefusal pins the answer to a failed decode: what the vendor is
// told (retry or not) and whether the body is dead-lettered for a replay.
// The engine-failure cases are hard to reach through HTTP with a real
// engine, so the mapping is checked on its own.
func TestDecodeRefusal(t *testing.T) {
	notJSON := &decoder.Error{Code: decoder.CodeNotJSON, Vendor: decoder.Eyun, Offset: 3}
	for _, c := range []struct {
		name     string
		err      error
		status   int
		code     decoder.Code
		keepBody bool
	}{
		{"body refused", notJSON, http.StatusBadRequest, decoder.CodeNotJSON, true},
		{"wrapped", fmt.Errorf("engine: %w", notJSON), http.StatusBadRequest, decoder.CodeNotJSON, true},
		{"over decoder.MaxInput", &decoder.Error{Code: decoder.CodeTooLarge, Offset: -1}, http.StatusRequestEntityTooLarge, decoder.CodeTooLarge, false},
		{"engine error", &decoder.Error{Code: decoder.CodeInternal, Offset: -1}, http.StatusInternalServerError, decoder.CodeInternal, true},
		{"not a decoder.Error", errors.New("module trapped"), http.StatusInternalServerError, decoder.CodeInternal, true},
	} {
		status, e, keep := decodeRefusal(c.err, decoder.Eyun)
		if status != c.status || e.Code != c.code || keep != c.keepBody {
			t.Errorf("%s: %d %s keep=%v, want %d %s keep=%v", c.name, status, e.Code, keep, c.status, c.code, c.keepBody)
		}
	}
	// An engine error that is no *decoder.Error is answered as the route's
	// dialect, without a byte offset, and says what failed.
	_, e, _ := decodeRefusal(errors.New("module trapped"), decoder.Eyun)
	if e.Vendor != decoder.Eyun || e.Offset != -1 || e.Detail != "module trapped" {
		t.Fatalf("engine error answered as %+v", e)
	}
	if _, e, _ := decodeRefusal(notJSON, decoder.Auto); e != notJSON {
		t.Fatalf("the decoder's error is not answered as it is: %+v", e)
	}
}
