package decoder

import (
	"encoding/json"
	"errors"
	"testing"
)

// syntaxCases are bodies encoding/json rejects, one per kind of place its
// scanner can stop: inside a string, an escape, a number, a literal, between
// values, after the top-level value, and at the end of the input (including
// the end inside a number, where the scanner's error names a space).
var syntaxCases = []string{
	"",
	"   ",
	"{",
	`{"a":1`,
	`{"a":"x` + "\x1b" + `y"}`,
	`{"a":"\q"}`,
	`{"a":"\u12x4"}`,
	`{"a":01}`,
	`{"a":-}`,
	`{"a":- }`,
	`[-  ]`,
	`{"a":1.}`,
	`{"a":1.5e}`,
	`{"a":1.5e+}`,
	`[1.5, 2. ]`,
	`{"a":tru}`,
	`{"a":nul,"b":2}`,
	`{"a" 1}`,
	`{"a":1,}`,
	`{"a":1 "b":2}`,
	`[1,2,]`,
	`{"a":1} x`,
	`{"a":1}{}`,
	`-`,
	`1e`,
	"\x00",
	`{"a":[{"b":{"c":[1,2,{"d":"e` + "\n" + `"}]}}]}`,
	"{\"data\":{\"content\":\"ok\",\"n\":000},\"wcId\":\"\xff\"}",
}

func unmarshalSyntaxError(src []byte) *json.SyntaxError {
	var se *json.SyntaxError
	if errors.As(json.Unmarshal(src, new(struct{})), &se) {
		return se
	}
	return nil
}

// TestSyntaxErrorMatchesUnmarshal: keepRaw's error for a body json.Valid
// rejects is the one json.Unmarshal gives, message and byte offset.
func TestSyntaxErrorMatchesUnmarshal(t *testing.T) {
	for _, c := range syntaxCases {
		src := []byte(c)
		if json.Valid(src) {
			t.Fatalf("%q: valid JSON in the table of invalid bodies", c)
		}
		want := unmarshalSyntaxError(src)
		// The whole body in one window, and windows from 1 byte up.
		for _, n := range []int{4 << 10, 1, 2, 3, 5} {
			got := syntaxErrorFrom(src, n)
			if want == nil || got == nil {
				t.Fatalf("%q: Unmarshal's error %v, syntaxError's %v", c, want, got)
			}
			if got.Error() != want.Error() || got.Offset != want.Offset {
				t.Errorf("%q (windows from %d): got %q at %d, Unmarshal says %q at %d", c, n, got, got.Offset, want, want.Offset)
			}
		}
	}
}

// TestSyntaxErrorWindows: long bodies whose first error lies just before,
// at and after the ends of syntaxError's doubling windows (4 KiB, 8 KiB, …),
// and at the end of the body.
func TestSyntaxErrorWindows(t *testing.T) {
	for _, at := range []int{4094, 4095, 4096, 4097, 8191, 8192, 8193, 20000} {
		for _, bad := range []string{"x", " x", "-", "1.", `"` + "\x01" + `"`, "tru"} {
			// An array of 1s up to the error, padded to put it at offset at.
			body := []byte("[")
			for len(body) < at-1 {
				body = append(body, "1,"...)
			}
			body = body[:at-1]
			if body[len(body)-1] != ',' {
				body[len(body)-1] = ' '
			}
			for _, tail := range []string{bad, bad + ",1]"} {
				src := append(append([]byte{}, body...), tail...)
				want, got := unmarshalSyntaxError(src), syntaxError(src)
				if want == nil || got == nil || got.Error() != want.Error() || got.Offset != want.Offset {
					t.Errorf("error near %d (%q): got %v, Unmarshal says %v", at, tail, got, want)
				}
			}
		}
	}
}

func FuzzSyntaxError(f *testing.F) {
	for _, c := range syntaxCases {
		f.Add([]byte(c), uint8(0))
	}
	f.Fuzz(func(t *testing.T, src []byte, window uint8) {
		// Small windows, so that short inputs cross window ends too.
		n := 1 + int(window%16)
		if json.Valid(src) {
			if se := syntaxErrorFrom(src, n); se != nil {
				t.Fatalf("%q is valid, syntaxError says %v", src, se)
			}
			return
		}
		want, got := unmarshalSyntaxError(src), syntaxErrorFrom(src, n)
		if want == nil || got == nil {
			t.Fatalf("%q: Unmarshal's error %v, syntaxError's %v", src, want, got)
		}
		if got.Error() != want.Error() || got.Offset != want.Offset {
			t.Fatalf("%q (windows from %d): got %q at %d, Unmarshal says %q at %d", src, n, got, got.Offset, want, want.Offset)
		}
	})
}
