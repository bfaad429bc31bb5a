package decoder

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/mailru/easyjson/jwriter"
)

// easyjsonString is what jwriter.Writer.String writes for s.
func easyjsonString(s string, noEscapeHTML bool) []byte {
	w := jwriter.Writer{NoEscapeHTML: noEscapeHTML}
	w.String(s)
	b, _ := w.BuildBytes()
	return b
}

// ourString is what writeString writes for s, into a writer whose buffer
// starts with room free bytes: writeString escapes in place when the buffer
// has room for the worst case and leaves the work to easyjson otherwise, so
// the tests try no room, too little, just enough and plenty.
func ourString(s string, noEscapeHTML bool, room int) []byte {
	w := jwriter.Writer{NoEscapeHTML: noEscapeHTML}
	w.Buffer.Buf = make([]byte, 0, room)
	writeString(&w, s)
	b, _ := w.BuildBytes()
	return b
}

// rooms are the buffer sizes ourString is tried with for s.
func rooms(s string) []int {
	return []int{0, len(s) + 2, 2 + 6*len(s) - 1, 2 + 6*len(s), 8*len(s) + 64}
}

// stringCases are strings whose JSON takes each path of writeString: words
// with and without a byte to look at, every escape, valid and broken UTF-8
// of each length, U+2028/2029, and the three-byte shortcut's edges.
func stringCases() []string {
	cs := []string{
		"", "a", "wxid_ctqh94e1ahe722", "0768a034-4292-4cf6-bd85-379312eb9dc1",
		"这是一条文本内容", "文本", "a\"b", `back\slash`, "tab\there", "nl\nx\r\n",
		"\x00\x01\x1f\x7f", "<html>&amp;</html>", "line\u2028sep\u2029para",
		"\xff", "ab\xc3", "\xe4\xb8", "\xed\xa0\x80", "\xef\xbf\xbd", "\xf0\x9f\x98\x80 emoji",
		"\xe1\x80\x80\xec\xbf\xbf", "\xe2\x80\xa8", "\xe2\x82\xac euro", "\xe0\xa0\x80", "\xee\x80\x80",
		"\xc2\xa0nbsp", "12345678\"12345678", "1234567\\", "12345678901234567\x19",
		strings.Repeat("x", 63) + "\"", strings.Repeat("数据", 40) + "\xe4",
	}
	for c := 0; c < 256; c++ {
		cs = append(cs, string([]byte{byte(c)}), "abcdefg"+string([]byte{byte(c)})+"hijklmnop")
	}
	return cs
}

// TestWriteStringMatchesEasyjson: writeString writes every string exactly
// as easyjson's String does, with HTML escaping on and off.
func TestWriteStringMatchesEasyjson(t *testing.T) {
	for _, s := range stringCases() {
		for _, noHTML := range []bool{true, false} {
			for _, room := range rooms(s) {
				if got, want := ourString(s, noHTML, room), easyjsonString(s, noHTML); !bytes.Equal(got, want) {
					t.Errorf("writeString(%q, noEscapeHTML=%v, room %d) = %s, easyjson writes %s", s, noHTML, room, got, want)
				}
			}
		}
	}
}

func FuzzWriteString(f *testing.F) {
	for _, s := range stringCases() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := easyjsonString(s, true)
		for _, room := range rooms(s) {
			if got := ourString(s, true, room); !bytes.Equal(got, want) {
				t.Fatalf("writeString(%q, room %d) = %s, easyjson writes %s", s, room, got, want)
			}
		}
	})
}

// TestWordNeedsLook checks the word test against the byte test it stands
// for, for each byte value at each position of the word, among plain bytes.
func TestWordNeedsLook(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			want := c < 0x20 || c == '"' || c == '\\' || c >= 0x80
			if got := wordNeedsLook(load64(string(b), 0)); got != want {
				t.Errorf("byte %#x at %d: wordNeedsLook = %v, want %v", c, pos, got, want)
			}
		}
	}
}

// TestFieldsJSONMatchesTags: the custom marshalers of fieldsjson.go write
// each field of their struct under its json tag, in order, omitted when
// the tag says omitempty and the value is zero: what encoding/json (and
// easyjson's generated code) writes for plain ASCII values. Every field is
// set in turn and all together, so a field added to the struct but not to
// its marshaler fails here.
func TestFieldsJSONMatchesTags(t *testing.T) {
	for _, v := range []any{&WecomFields{}, &EyunFields{}, &DLLFields{}, &GeweFields{}, &Media{}, &Thumb{}, &Link{}} {
		rv := reflect.ValueOf(v).Elem()
		check := func(what string) {
			w := jwriter.Writer{NoEscapeHTML: true}
			v.(interface{ MarshalEasyJSON(*jwriter.Writer) }).MarshalEasyJSON(&w)
			got, _ := w.BuildBytes()
			want, _ := json.Marshal(v)
			// encoding/json writes an empty struct even under omitempty;
			// easyjson omits it (IsDefined), as the marshalers do.
			want = bytes.Replace(want, []byte(`,"thumb":{}`), nil, 1)
			want = bytes.Replace(want, []byte(`"thumb":{}`), nil, 1)
			if !bytes.Equal(got, want) {
				t.Errorf("%T %s:\n got %s\nwant %s", v, what, got, want)
			}
		}
		check("zero")
		for i := 0; i < rv.NumField(); i++ {
			f := rv.Field(i)
			name := rv.Type().Field(i).Name
			switch f.Kind() {
			case reflect.String:
				f.SetString("v_" + name)
			case reflect.Int64, reflect.Int:
				f.SetInt(int64(100 + i))
			case reflect.Struct: // Media.Thumb, itself checked here
				f.Field(0).SetString("v_" + name)
			default:
				t.Fatalf("%T.%s: a %v field; teach the marshaler and this test", v, name, f.Kind())
			}
			check("with " + name)
			f.SetZero()
		}
		for i := 0; i < rv.NumField(); i++ {
			switch f := rv.Field(i); f.Kind() {
			case reflect.String:
				f.SetString("v" + string(rune('a'+i)))
			case reflect.Struct:
				f.Field(0).SetString("w" + string(rune('a'+i)))
			default:
				f.SetInt(int64(7 + i))
			}
		}
		check("all set")
	}
}

// TestEnumNamesNeedNoEscaping: writeName writes the names as they are,
// which is right only for names JSON does not escape.
func TestEnumNamesNeedNoEscaping(t *testing.T) {
	plain := regexp.MustCompile(`^[a-z_]*$`)
	var names []string
	for _, d := range Dialects() {
		names = append(names, d.String())
	}
	for k := Kind(0); k < kindCount; k++ {
		names = append(names, k.String())
	}
	names = append(names, ChatNone.String(), ChatPrivate.String(), ChatGroup.String())
	for _, n := range names {
		if !plain.MatchString(n) {
			t.Errorf("name %q is not [a-z_]*: writeName would not escape it", n)
		}
	}
}

// TestAllDigits checks the word test of val.digits against the byte test,
// for each byte value at each position among digits.
func TestAllDigits(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			b := []byte("01234567")
			b[pos] = byte(c)
			want := c >= '0' && c <= '9'
			if got := allDigits(load64(string(b), 0)); got != want {
				t.Errorf("byte %#x at %d: allDigits = %v, want %v", c, pos, got, want)
			}
		}
	}
}

// TestPlainPrefix: plainPrefix agrees with a byte-by-byte scan for strings
// of every length up to three words, with any one byte value anywhere.
func TestPlainPrefix(t *testing.T) {
	for n := 0; n <= 24; n++ {
		for at := -1; at < n; at++ {
			for c := 0; c < 256; c++ {
				b := bytes.Repeat([]byte("a"), n)
				want := n
				if at >= 0 {
					b[at] = byte(c)
					if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
						want = at
					}
				}
				if got := plainPrefix(string(b)); got != want {
					t.Errorf("plainPrefix(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}

// TestHasEscape: hasEscape and hasEscapeWords find a backslash at any position of strings of
// every length up to three words, and none where there is none.
func TestHasEscape(t *testing.T) {
	for n := 0; n <= 24; n++ {
		for at := -1; at < n; at++ {
			b := bytes.Repeat([]byte("\\x\x80\xff\x5b\x5d"), 5)[:n] // bytes near '\\' (0x5c), no '\\' at odd places
			for i := range b {
				if b[i] == '\\' {
					b[i] = 'z'
				}
			}
			if at >= 0 {
				b[at] = '\\'
			}
			if got, want := hasEscape(b), at >= 0; got != want || hasEscapeWords(b) != want {
				t.Errorf("hasEscape(%q) = %v, want %v", b, got, want)
			}
		}
	}
}
