package decoder

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/mailru/easyjson/jwriter"
)

// writeEvent writes what the generated Event.MarshalEasyJSON writes, with
// the Decoder's writer settings and with jwriter's defaults (HTML escaping
// on, nil slices as null), for the zero Event, each top-level field set in
// turn, and every field set at once with values that need escaping. A field
// added to Event and not to writeEvent fails here.
func TestWriteEventMatchesGenerated(t *testing.T) {
	var ev Event
	check := func(what string) {
		t.Helper()
		for _, flags := range []struct {
			nilAsEmpty, noHTML bool
		}{{true, true}, {false, false}} {
			newWriter := func() *jwriter.Writer {
				w := &jwriter.Writer{NoEscapeHTML: flags.noHTML}
				if flags.nilAsEmpty {
					w.Flags = jwriter.NilSliceAsEmpty
				}
				return w
			}
			w := newWriter()
			pos := writeEvent(w, &ev)
			got, _ := w.BuildBytes()
			w = newWriter()
			ev.MarshalEasyJSON(w)
			want, _ := w.BuildBytes()
			if !bytes.Equal(got, want) {
				t.Errorf("%s (%+v):\n got %s\nwant %s", what, flags, got, want)
				continue
			}
			checkSpan(t, what+" dedup_key", got, pos.dedup, `"dedup_key":"`)
			checkSpan(t, what+" account", got, pos.account, `"account":"`)
		}
	}
	check("zero")
	rv := reflect.ValueOf(&ev).Elem()
	for i := 0; i < rv.NumField(); i++ {
		name := rv.Type().Field(i).Name
		fillValue(t, rv.Field(i), name, i)
		check("with " + name)
		rv.Field(i).SetZero()
	}
	for i := 0; i < rv.NumField(); i++ {
		fillValue(t, rv.Field(i), rv.Type().Field(i).Name, i)
	}
	check("all set")
}

// checkSpan: sp is the value written right after key, as written.
func checkSpan(t *testing.T, what string, js []byte, sp span, key string) {
	t.Helper()
	i := bytes.Index(js, []byte(key))
	if i < 0 {
		t.Errorf("%s: no %s in %s", what, key, js)
		return
	}
	start := i + len(key)
	end := start
	for end < len(js) && js[end] != '"' {
		if js[end] == '\\' {
			end++
		}
		end++
	}
	if sp.start != start || sp.end != end {
		t.Errorf("%s: span %v, want [%d, %d) in %s", what, sp, start, end, js)
	}
}

// fillValue sets v (and every field below it) to non-zero values; the
// strings need escaping (a quote, a backslash, a control byte, HTML
// characters, U+2028, invalid UTF-8) except where the canonical form forbids
// it (enums are valid names).
func fillValue(t *testing.T, v reflect.Value, name string, i int) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(name + ` "q" \ <a&b> ` + "\x01\u2028é\xff")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(i%3 + 1)) // small: enums stay valid
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(i%3 + 1))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(i) + 0.5)
	case reflect.Struct:
		for j := 0; j < v.NumField(); j++ {
			if v.Type().Field(j).IsExported() {
				fillValue(t, v.Field(j), v.Type().Field(j).Name, i+j)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // RawMessage
			v.SetBytes([]byte(`{"raw":` + strings.Repeat("1", i%5+1) + `}`))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for j := 0; j < 2; j++ {
			fillValue(t, s.Index(j), name, i+j)
		}
		v.Set(s)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillValue(t, p.Elem(), name, i)
		v.Set(p)
	default:
		t.Fatalf("%s: a %v field; teach fillValue", name, v.Kind())
	}
}

// A canonical event longer than the Decoder's first buffer spills into
// easyjson's chunks; Meta still points at the dedup key and the account.
func TestMetaAfterSpill(t *testing.T) {
	body := []byte(`{"account":"acc\"1","data":{"content":"` + strings.Repeat("长文本", 3000) +
		`","fromUser":"wxid_a","msgId":1,"newMsgId":2,"timestamp":1619157348,"toUser":"x\"y"},"messageType":5,"wcId":"x\"y"}`)
	var d Decoder
	for round := 0; round < 2; round++ { // the first call spills, the second has grown d.out
		out, m, err := d.AppendDecode([]byte("prefix"), body, Auto)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) < 4097 {
			t.Fatalf("output %d bytes: too short to spill", len(out))
		}
		if string(m.DedupKey) != d.ev.DedupKey || !bytes.Contains(out, []byte(`"dedup_key":"`+string(m.DedupKey)+`"`)) {
			t.Errorf("round %d: DedupKey %q, event's %q", round, m.DedupKey, d.ev.DedupKey)
		}
		if string(m.Account) != `x\"y` {
			t.Errorf("round %d: Account %q, want the escaped x\\\"y", round, m.Account)
		}
	}
}
