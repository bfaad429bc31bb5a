package decoder_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

func TestGeweDialectName(t *testing.T) {
	d, ok := decoder.ParseDialect("gewe")
	if !ok || d != decoder.Gewe || d.String() != "gewe" {
		t.Fatalf("ParseDialect(gewe) = %v %v", d, ok)
	}
	// Appended: the values before it are the wasm ABI's.
	if decoder.Auto != 0 || decoder.Wecom != 1 || decoder.Eyun != 2 || decoder.DLL != 3 || decoder.Gewe != 4 {
		t.Fatalf("dialect values moved")
	}
}

// NewMsgId exceeds 2^53 (and may exceed 2^63): the id and the dedup key keep
// its digits whether GeWe sends a number (the document) or a string (OZ).
func TestGeweNewMsgIdExact(t *testing.T) {
	body := fixture(t, "gewe", "doc_text_private")
	const doc = `"NewMsgId": 7773749793478223190`
	if !bytes.Contains(body, []byte(doc)) {
		t.Fatal("fixture changed")
	}
	for _, id := range []string{"7773749793478223190", "18446744073709551615", `"18446744073709551615"`} {
		b := bytes.Replace(body, []byte(doc), []byte(`"NewMsgId": `+id), 1)
		ev := decodeAs(t, b, decoder.Auto)
		want := strings.Trim(id, `"`)
		if ev.ID != want || ev.DedupKey != "gewe:wx_wR_U4zPj2M_OTS3BCyoE4:"+want {
			t.Errorf("NewMsgId %s: id %q key %q", id, ev.ID, ev.DedupKey)
		}
	}
}

// A group message GeWe receives comes from the room, its content prefixed
// by the sender ("wxid:\n…", as GeWe's FAQ describes it): the room, the
// sender and the text are told apart. A message sent to the room keeps its
// sender.
func TestGeweGroupText(t *testing.T) {
	body := fixture(t, "gewe", "doc_text_private")
	b := bytes.Replace(body, []byte(`"string": "wxid_phyyedw9xap22"`), []byte(`"string": "34757816141@chatroom"`), 1)
	b = bytes.Replace(b, []byte(`"string": "123"`), []byte(`"string": "wxid_8pvka4jg6qzt22:\n123"`), 1)
	ev := decodeAs(t, b, decoder.Gewe)
	if ev.Kind != decoder.KindText || ev.Chat != decoder.ChatGroup || ev.Room != "34757816141@chatroom" ||
		ev.From != "wxid_8pvka4jg6qzt22" || ev.Text != "123" || ev.Self {
		t.Errorf("got kind %v chat %v room %q from %q text %q self %v", ev.Kind, ev.Chat, ev.Room, ev.From, ev.Text, ev.Self)
	}

	b = bytes.Replace(body, []byte(`"string": "wxid_0xsqb3o0tsvz22"`), []byte(`"string": "34757816141@chatroom"`), 1)
	ev = decodeAs(t, b, decoder.Gewe)
	if ev.Chat != decoder.ChatGroup || ev.Room != "34757816141@chatroom" || ev.From != "wxid_phyyedw9xap22" || !ev.Self {
		t.Errorf("sent to a room: chat %v room %q from %q self %v", ev.Chat, ev.Room, ev.From, ev.Self)
	}
}

// The callback test GeWe posts when the callback address is set carries
// testMsg and token (read by public gewechat clients; see SOURCES.md).
func TestGeweTestPing(t *testing.T) {
	ev := decodeAs(t, []byte(`{"testMsg":"ping","token":"t1"}`), decoder.Auto)
	if ev.Vendor != decoder.Gewe || ev.Kind != decoder.KindSystem || ev.Text != "ping" || ev.Gewe.TestMsg != "ping" ||
		!strings.HasPrefix(ev.DedupKey, "gewe:h:") {
		t.Errorf("ping: %+v", ev)
	}
}

func TestGeweErrors(t *testing.T) {
	text := fixture(t, "gewe", "doc_text_private")
	var d decoder.Decoder
	var ev decoder.Event
	cases := []struct {
		name    string
		body    []byte
		dialect decoder.Dialect
		code    decoder.Code
		field   string
	}{
		{"no TypeName", []byte(`{"Appid":"wx_a","Wxid":"wxid_a"}`), decoder.Auto, decoder.CodeMissingField, "TypeName"},
		{"AddMsg without Data", []byte(`{"TypeName":"AddMsg","Appid":"wx_a"}`), decoder.Auto, decoder.CodeMissingField, "Data"},
		{"MsgType not a number", bytes.Replace(text, []byte(`"MsgType": 1,`), []byte(`"MsgType": "one",`), 1),
			decoder.Auto, decoder.CodeBadField, "Data.MsgType"},
		{"gewe and eyun keys", []byte(`{"TypeName":"AddMsg","wcId":"wxid_a"}`), decoder.Auto, decoder.CodeUnknownDialect, "wcId"},
		{"gewe body as eyun", text, decoder.Eyun, decoder.CodeWrongDialect, ""},
		{"eyun body as gewe", []byte(`{"wcId":"wxid_a","messageType":5,"data":{}}`), decoder.Gewe, decoder.CodeWrongDialect, ""},
	}
	for _, c := range cases {
		err := d.Decode(c.body, c.dialect, &ev)
		var e *decoder.Error
		if !errors.As(err, &e) || e.Code != c.code || e.Field != c.field {
			t.Errorf("%s: got %v", c.name, err)
			continue
		}
		if c.code == decoder.CodeBadField && (e.Offset <= 0 || !bytes.HasPrefix(c.body[e.Offset:], []byte(`"one"`))) {
			t.Errorf("%s: offset %d does not point at the value", c.name, e.Offset)
		}
	}
}

// A TypeName wxhook does not model is kept whole, with the reason.
func TestGeweUnknownTypeName(t *testing.T) {
	ev := decodeAs(t, []byte(`{"TypeName":"ModUserInfo","Appid":"wx_a","Wxid":"wxid_a","Data":{}}`), decoder.Auto)
	if ev.Kind != decoder.KindUnknown || len(ev.Raw) == 0 || ev.Problem.Field != "TypeName" ||
		!strings.Contains(ev.Problem.Detail, "ModUserInfo") {
		t.Errorf("got %+v", ev)
	}
}
