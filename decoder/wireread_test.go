package decoder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mailru/easyjson/jlexer"
)

// wireReader pairs a hand-written reader of wireread.go with the generated
// UnmarshalEasyJSON of the same struct, the reference it must match.
type wireReader struct {
	name string
	typ  reflect.Type
	hand func(*jlexer.Lexer) any
	gen  func(*jlexer.Lexer) any
}

var wireReaders = []wireReader{
	{"eyunData", reflect.TypeFor[eyunData](),
		func(l *jlexer.Lexer) any { var x eyunData; x.read(l); return x },
		func(l *jlexer.Lexer) any { var x eyunData; x.UnmarshalEasyJSON(l); return x }},
	{"dllData", reflect.TypeFor[dllData](),
		func(l *jlexer.Lexer) any { var x dllData; x.read(l); return x },
		func(l *jlexer.Lexer) any { var x dllData; x.UnmarshalEasyJSON(l); return x }},
	{"wecomMessage", reflect.TypeFor[wecomMessage](),
		func(l *jlexer.Lexer) any { var x wecomMessage; x.read(l); return x },
		func(l *jlexer.Lexer) any { var x wecomMessage; x.UnmarshalEasyJSON(l); return x }},
	{"geweData", reflect.TypeFor[geweData](),
		func(l *jlexer.Lexer) any { var x geweData; x.read(l); return x },
		func(l *jlexer.Lexer) any { var x geweData; x.UnmarshalEasyJSON(l); return x }},
}

// compareReaders decodes src with both readers and fails when the structs
// or the errors (reason and offset) differ.
func compareReaders(t *testing.T, r wireReader, src []byte) {
	t.Helper()
	lh, lg := jlexer.Lexer{Data: src}, jlexer.Lexer{Data: src}
	h, g := r.hand(&lh), r.gen(&lg)
	lh.Consumed()
	lg.Consumed()
	eh, eg := lexErrorKey(lh.Error()), lexErrorKey(lg.Error())
	if eh != eg || lh.GetPos() != lg.GetPos() {
		t.Fatalf("%s %q: hand-written reader ends at %d with %s, generated at %d with %s",
			r.name, src, lh.GetPos(), eh, lg.GetPos(), eg)
	}
	if !reflect.DeepEqual(h, g) {
		t.Fatalf("%s %q: hand-written reader gives\n%s\ngenerated\n%s", r.name, src, dumpVals(h), dumpVals(g))
	}
}

// lexErrorKey is what the decoder takes from a lexer error (lexError,
// lexReason): the reason and the offset. A LexerError's Data, jlexer's
// context snippet, is left out: it can be the bytes of an earlier string
// token, which the readers leave escaped.
func lexErrorKey(err error) string {
	if le, ok := err.(*jlexer.LexerError); ok {
		return fmt.Sprintf("%s at %d", le.Reason, le.Offset)
	}
	return fmt.Sprint(err)
}

// dumpVals lists the set val fields of a wire struct, for failure messages.
func dumpVals(x any) string {
	var b strings.Builder
	walkVals(reflect.ValueOf(x), "", func(path string, v reflect.Value) {
		if v.Len() > 0 {
			fmt.Fprintf(&b, "  %s=%s\n", path, v.Bytes())
		}
	})
	return b.String()
}

// walkVals calls f with the byte slice of every val inside the wire struct
// value x, named by its path of json tags.
func walkVals(x reflect.Value, path string, f func(string, reflect.Value)) {
	switch x.Type() {
	case reflect.TypeFor[val]():
		f(path, x.Field(0))
		return
	case reflect.TypeFor[wxString]():
		walkVals(x.Field(0), path, f)
		return
	}
	for i := range x.NumField() {
		tag, _, _ := strings.Cut(x.Type().Field(i).Tag.Get("json"), ",")
		walkVals(x.Field(i), path+"."+tag, f)
	}
}

// everyField writes a JSON object with every json tag of the wire struct
// type t, each value distinct (strings and numbers in turn), nested objects
// in full; wxString values in GeWe's {"string": …} form. key may rewrite the
// names (escape them). n numbers the values.
func everyField(t reflect.Type, key func(string) string, n *int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range t.NumField() {
		ft := t.Field(i)
		tag, _, _ := strings.Cut(ft.Tag.Get("json"), ",")
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + key(tag) + `":`)
		*n++
		switch ft.Type {
		case reflect.TypeFor[val]():
			if *n%2 == 0 {
				b.WriteString(strconv.Itoa(*n))
			} else {
				fmt.Fprintf(&b, `"v%d"`, *n)
			}
		case reflect.TypeFor[wxString]():
			fmt.Fprintf(&b, `{"string":"s%d"}`, *n)
		default:
			b.WriteString(everyField(ft.Type, key, n))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// escapeFirst writes a member name with its first letter as a \u escape.
func escapeFirst(name string) string {
	return fmt.Sprintf(`\u%04x`, name[0]) + name[1:]
}

// The hand-written readers give what the generated code gives, for every
// field of each struct: a field added to a struct and not to its reader
// fails here, because the input sets every tag and every val must come out
// set.
func TestWireReadersMatchGenerated(t *testing.T) {
	plain := func(s string) string { return s }
	for _, r := range wireReaders {
		t.Run(r.name, func(t *testing.T) {
			n := 0
			all := everyField(r.typ, plain, &n)
			compareReaders(t, r, []byte(all))
			// Every val is set, so the comparison above covered every field.
			l := jlexer.Lexer{Data: []byte(all)}
			walkVals(reflect.ValueOf(r.hand(&l)), r.name, func(path string, v reflect.Value) {
				if v.Len() == 0 {
					t.Errorf("%s is not read", path)
				}
			})

			// Names with escapes are matched unescaped.
			n = 0
			escaped := everyField(r.typ, func(s string) string { return escapeFirst(s) }, &n)
			lh, lg := jlexer.Lexer{Data: []byte(escaped)}, jlexer.Lexer{Data: []byte(all)}
			if h, g := r.hand(&lh), r.gen(&lg); !reflect.DeepEqual(h, g) {
				t.Errorf("escaped names: got\n%s\nwant\n%s", dumpVals(h), dumpVals(g))
			}
			compareReaders(t, r, []byte(escaped))

			// null leaves a field as it was, as in the generated code.
			nulls := regexp.MustCompile(`:("v?\d+"|\d+)`).ReplaceAllString(all, ":null")
			compareReaders(t, r, []byte(nulls))
			compareReaders(t, r, []byte(all[:len(all)-1]+","+nulls[1:]))

			// Every truncation of the object and a corrupted byte at every
			// offset: the same error at the same offset, the same fields.
			for i := range len(all) {
				compareReaders(t, r, []byte(all[:i]))
				for _, c := range []byte{'"', '\\', '}', ',', 'x', ' '} {
					b := []byte(all)
					b[i] = c
					compareReaders(t, r, b)
				}
			}
		})
	}
}

// Objects of other shapes: unknown members of every type, whitespace,
// invalid escapes in names, wrong types; and the data objects of every
// fixture.
func TestWireReadersOddInput(t *testing.T) {
	inputs := []string{
		`{}`, ` { } `, `[]`, `"x"`, `{"content":1,}`,
		`{"unknown":{"a":[1,{"b":"}"}]},"content":"c","x":[],"y":true,"z":null}`,
		"{\n  \"content\" :\t\"a\\\"b\" ,\r\n\"msgId\": -1.5e3 }",
		`{"content":"a","content":"b"}`,
		`{"cont\qent":"a"}`, `{"\u00":"a"}`, `{"a\`, `{"\ud800":1,"content":2}`,
		`{"\u0063ontent":"a","\u0073tring":"b","\u0053tring":1}`,
		`{"FromUserName":{"string":"a","other":1},"Content":"plain","ToUserName":{},"ImgBuf":{"iLen":1}}`,
		`{"FromUserName":{"str\ing":"a"}}`, `{"FromUserName":{"\u0073tring":"a"}}`,
		`{"cdnData":{"aes_key":"k"},"c2cCdnData":null,"cdnData":null}`,
		`{"FromUserName":null,"ImgBuf":null}`, `{"FromUserName":[1]}`, `{"cdnData":"x"}`,
		`{"content":{"nested":1}}`, `{"content":nul}`, `{"content":tru}`, `{"content":01}`,
		`{"\b0000":null]`,
	}
	// Arrays of ids (readIDs): what json.Valid rejects and jlexer alone
	// would take, broken structure, nested values, odd spacing.
	for _, a := range []string{
		`[]`, ` [ ] `, `["a"]`, `[ "a" , "b" ]`, `["a",1,-2.5e+3,true,false,null,{"b":[]},[1,[2]]]`,
		`["a\u00e9\n\"\\\/\b\f\r\t"]`, `[1E+5,-0.5e-3,0,-0]`, `["\ud800"]`,
		`["\q"]`, `["a` + "\x01" + `"]`, `["\u12"]`, `["\u12g4"]`, `["\`, `[01]`, `[-01]`, `[00]`, `[1.]`, `[-]`,
		`[1e]`, `[1e+]`, `[.5]`, `[+1]`, `[tru]`, `[nulll]`, `["a",]`, `[,"a"]`, `["a" "b"]`, `["a":"b"]`,
		`["a"}`, `[}`, `[{"a":]}]`, `[{"a":"]"}]`, `["a"`, `[`, `[1 2]`, `["a"1]`, `[1"a"]`, `"str"`, `null`, `{}`,
	} {
		inputs = append(inputs, `{"atlist":`+a+`,"content":"c"}`, `{"atWxIdList":`+a+`,"message":"m"}`)
	}
	for _, f := range loadFixtures(t) {
		var top map[string]json.RawMessage
		if json.Unmarshal(f.src, &top) != nil {
			continue
		}
		for _, k := range []string{"data", "Data", "message"} {
			if v, ok := top[k]; ok {
				inputs = append(inputs, string(v))
			}
		}
	}
	for _, r := range wireReaders {
		for _, in := range inputs {
			compareReaders(t, r, []byte(in))
		}
	}
}

// FuzzWireReaders holds the hand-written readers to the generated code on
// any input.
func FuzzWireReaders(f *testing.F) {
	for _, s := range []string{`{"content":"a","msgId":1}`, `{"message":"x","cdnData":{"md5":"m"}}`,
		`{"FromUserName":{"string":"a"},"ImgBuf":{"buffer":"b"}}`, `{"\u0063ontent":null}`,
		`{"atlist":["a",1,{"b":[]}],"content":"c"}`, `{"atWxIdList":[],"message":"m"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if bytes.HasPrefix(bytes.TrimLeft(src, " \t\r\n"), []byte("n")) {
			// Callers skip a null object before calling a reader.
			return
		}
		for _, r := range wireReaders {
			compareReaders(t, r, src)
		}
	})
}

// A name with escapes is the same name: every callback decodes to the same
// event with each of its member names' first letter escaped (but for what
// holds the body's own bytes: a key hashed from them, the raw body of an
// unknown event).
func TestEscapedNamesDecodeTheSame(t *testing.T) {
	name := regexp.MustCompile(`"([A-Za-z_])(\w*)"(\s*):`)
	hash := regexp.MustCompile(`:h:[0-9a-f]+"`)
	var d Decoder
	for _, f := range loadFixtures(t) {
		want, meta, err := d.AppendDecode(nil, f.src, f.dialect)
		if err != nil || meta.Kind == KindUnknown {
			continue
		}
		want = hash.ReplaceAll(want, []byte(`:h:"`))
		esc := name.ReplaceAllStringFunc(string(f.src), func(m string) string {
			return `"` + escapeFirst(m[1:])
		})
		if esc == string(f.src) {
			t.Fatalf("%s: no name rewritten", f.name)
		}
		got, _, err := d.AppendDecode(nil, []byte(esc), f.dialect)
		got = hash.ReplaceAll(got, []byte(`:h:"`))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s/%s with escaped names:\n%s %v\nwant\n%s", f.dialect, f.name, got, err, want)
		}
	}
}

// An invalid escape in a top-level name is a syntax error right after the
// name, whether or not the name would have matched.
func TestInvalidEscapeInName(t *testing.T) {
	var d Decoder
	for _, body := range []string{`{"wc\qId":"a"}`, `{"unkn\qown":1,"wcId":"a"}`, `{"wcId":"a","data":{"x\q":1}}`} {
		var ev Event
		err := d.Decode([]byte(body), Auto, &ev)
		e, ok := err.(*Error)
		at := strings.Index(body, `\q`) + strings.Index(body[strings.Index(body, `\q`):], `"`) + 1
		if !ok || e.Code != CodeNotJSON || e.Offset != at || !strings.HasPrefix(e.Detail, "incorrectly escaped bytes") {
			t.Errorf("%s: %v, want not_json at %d: incorrectly escaped bytes", body, err, at)
		}
	}
}
