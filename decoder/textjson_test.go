package decoder_test

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

var (
	_ encoding.TextMarshaler   = decoder.Dialect(0)
	_ encoding.TextUnmarshaler = (*decoder.Dialect)(nil)
	_ encoding.TextMarshaler   = decoder.Kind(0)
	_ encoding.TextUnmarshaler = (*decoder.Kind)(nil)
	_ encoding.TextMarshaler   = decoder.Chat(0)
	_ encoding.TextUnmarshaler = (*decoder.Chat)(nil)
)

// encoding/json writes an Event's vendor, kind and chat with the names of the
// canonical JSON, and reads them back, on every fixture of the corpus.
func TestEncodingJSONNames(t *testing.T) {
	var d decoder.Decoder
	n := 0
	for _, c := range conformance.Fixtures(t) {
		var ev decoder.Event
		if err := d.Decode(c.Body, c.Dialect, &ev); err != nil {
			continue
		}
		n++
		std, err := json.Marshal(&ev)
		if err != nil {
			t.Fatalf("%s: encoding/json: %v", c.Name, err)
		}
		var got, want map[string]any
		if err := json.Unmarshal(std, &got); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if err := json.Unmarshal(ev.AppendJSON(nil), &want); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		for _, k := range []string{"vendor", "kind", "chat"} {
			if got[k] != want[k] {
				t.Errorf("%s: encoding/json %q = %#v, canonical %#v", c.Name, k, got[k], want[k])
			}
		}
		var back decoder.Event
		if err := json.Unmarshal(std, &back); err != nil {
			t.Fatalf("%s: encoding/json reading its own output: %v", c.Name, err)
		}
		if back.Vendor != ev.Vendor || back.Kind != ev.Kind || back.Chat != ev.Chat {
			t.Errorf("%s: read back %v/%v/%q, want %v/%v/%q", c.Name, back.Vendor, back.Kind, back.Chat, ev.Vendor, ev.Kind, ev.Chat)
		}
	}
	if n == 0 {
		t.Fatal("no fixture decoded")
	}

	// The error's vendor too.
	var d2 decoder.Decoder
	var ev decoder.Event
	err := d2.Decode([]byte(`{"wcId":"w","messageType":"60001","data":7}`), decoder.Eyun, &ev)
	var de *decoder.Error
	if !errors.As(err, &de) {
		t.Fatalf("want an *Error, got %v", err)
	}
	std, _ := json.Marshal(de)
	var got map[string]any
	if err := json.Unmarshal(std, &got); err != nil || got["vendor"] != "eyun" {
		t.Errorf("encoding/json of an Error: %s (%v)", std, err)
	}
}

// Each name round-trips through MarshalText/UnmarshalText and through
// encoding/json; unknown names are errors and leave the value alone.
func TestTextRoundTrip(t *testing.T) {
	for _, v := range decoder.Dialects() {
		roundTrip(t, v, new(decoder.Dialect), v.String())
	}
	for _, v := range decoder.Kinds() {
		roundTrip(t, v, new(decoder.Kind), v.String())
	}
	for _, c := range []struct {
		v    decoder.Chat
		name string
	}{{decoder.ChatNone, ""}, {decoder.ChatPrivate, "private"}, {decoder.ChatGroup, "group"}} {
		roundTrip(t, c.v, new(decoder.Chat), c.name)
	}

	d, k, c := decoder.Eyun, decoder.KindText, decoder.ChatGroup
	for _, bad := range []string{"wechat", "WECOM", "text ", "1", "privat"} {
		if err := d.UnmarshalText([]byte(bad)); err == nil || d != decoder.Eyun {
			t.Errorf("Dialect.UnmarshalText(%q) = %v, value %v", bad, err, d)
		}
		if err := k.UnmarshalText([]byte(bad)); err == nil || k != decoder.KindText {
			t.Errorf("Kind.UnmarshalText(%q) = %v, value %v", bad, err, k)
		}
		if err := c.UnmarshalText([]byte(bad)); err == nil || c != decoder.ChatGroup {
			t.Errorf("Chat.UnmarshalText(%q) = %v, value %v", bad, err, c)
		}
	}
	var ev decoder.Event
	for _, doc := range []string{`{"vendor":"wechat"}`, `{"kind":"texts"}`, `{"chat":"room"}`, `{"vendor":2}`} {
		if err := json.Unmarshal([]byte(doc), &ev); err == nil {
			t.Errorf("encoding/json accepted %s", doc)
		}
	}
}

type textValue interface {
	encoding.TextMarshaler
	comparable
}

func roundTrip[V textValue, P interface {
	*V
	encoding.TextUnmarshaler
}](t *testing.T, v V, into P, name string) {
	t.Helper()
	b, err := v.MarshalText()
	if err != nil || string(b) != name {
		t.Errorf("%v: MarshalText = %q, %v; want %q", v, b, err, name)
	}
	if err := into.UnmarshalText([]byte(name)); err != nil || *into != v {
		t.Errorf("UnmarshalText(%q) = %v, %v; want %v", name, *into, err, v)
	}
	j, err := json.Marshal(v)
	if err != nil || string(j) != `"`+name+`"` {
		t.Errorf("%v: encoding/json = %s, %v", v, j, err)
	}
	var zero V
	*into = zero
	if err := json.Unmarshal(j, into); err != nil || *into != v {
		t.Errorf("encoding/json read %s as %v, %v; want %v", j, *into, err, v)
	}
}

// The examples' bodies are fixtures of the corpus, compacted.
func TestExampleBodiesAreFixtures(t *testing.T) {
	bodies := map[string]string{"wecom/seed_text_private": privateText, "wecom/seed_group_text": groupText}
	for _, c := range conformance.Fixtures(t) {
		want, ok := bodies[c.Name]
		if !ok {
			continue
		}
		delete(bodies, c.Name)
		var b bytes.Buffer
		if err := json.Compact(&b, c.Body); err != nil || b.String() != want {
			t.Errorf("%s: the example's body is not the fixture:\n%s\n%s", c.Name, b.String(), want)
		}
	}
	if len(bodies) != 0 {
		t.Errorf("fixtures not found: %v", bodies)
	}
}
