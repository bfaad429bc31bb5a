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
		want, got := unmarshalSyntaxError(src), syntaxError(src)
		if want == nil || got == nil {
			t.Fatalf("%q: Unmarshal's error %v, syntaxError's %v", c, want, got)
		}
		if got.Error() != want.Error() || got.Offset != want.Offset {
			t.Errorf("%q: got %q at %d, Unmarshal says %q at %d", c, got, got.Offset, want, want.Offset)
		}
	}
}

func FuzzSyntaxError(f *testing.F) {
	for _, c := range syntaxCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if json.Valid(src) {
			if se := syntaxError(src); se != nil {
				t.Fatalf("%q is valid, syntaxError says %v", src, se)
			}
			return
		}
		want, got := unmarshalSyntaxError(src), syntaxError(src)
		if want == nil || got == nil {
			t.Fatalf("%q: Unmarshal's error %v, syntaxError's %v", src, want, got)
		}
		if got.Error() != want.Error() || got.Offset != want.Offset {
			t.Fatalf("%q: got %q at %d, Unmarshal says %q at %d", src, got, got.Offset, want, want.Offset)
		}
	})
}
