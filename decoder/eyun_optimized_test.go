package decoder_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

// The optimized callbacks (the vendor's "优化版") carry the same message as
// the raw ones under another messageType: 6xxxx private, 8xxxx group, the
// last three digits the kind. The vendor's field table for the optimized
// version lists the same data fields as the raw one (testdata/SOURCES.md), so
// a raw fixture with its messageType rewritten is the optimized callback of
// the same message; where a captured optimized payload exists (opt_*.json)
// the rewrite goes the other way.

func readEyun(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "callbacks", "eyun", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withMessageType returns body with its messageType replaced by mt (a JSON
// value) and, if dropMsgType, without data.msgType. Numbers keep their
// digits: ids exceed 2^53.
func withMessageType(t *testing.T, body []byte, mt string, dropMsgType bool) []byte {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	m["messageType"] = json.RawMessage(mt)
	if data, ok := m["data"].(map[string]any); ok && dropMsgType {
		delete(data, "msgType")
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// event decodes body and returns its canonical JSON as a map, failing the
// test on a decode error.
func event(t *testing.T, d *decoder.Decoder, body []byte) map[string]any {
	t.Helper()
	out, _, err := d.AppendDecode(nil, body, decoder.Auto)
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// withoutEyun removes the named keys of the event's "eyun" object: the
// fields in which the two versions of a message really differ.
func withoutEyun(m map[string]any, keys ...string) map[string]any {
	if e, ok := m["eyun"].(map[string]any); ok {
		for _, k := range keys {
			delete(e, k)
		}
	}
	return m
}

func sameEvent(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s: optimized and raw differ\noptimized: %s\n      raw: %s", what, g, w)
	}
}

// TestEyunOptimizedCaptured: the captured optimized payloads decode to their
// kind with its fields, and to the same event as the raw callback of the
// same message (only eyun.message_type differs). Dedup keys are equal, so a
// raw and an optimized copy of one message de-duplicate against each other.
func TestEyunOptimizedCaptured(t *testing.T) {
	var d decoder.Decoder
	cases := []struct {
		file, raw string
		kind      string
		check     func(t *testing.T, ev map[string]any)
	}{
		{"opt_text_private.json", "5", "text", func(t *testing.T, ev map[string]any) {
			if ev["text"] != "adfa" || ev["from"] != "wxid_1dfgh4fs8vz22" || ev["to"] != "wxid_phyyedw9xap22" {
				t.Errorf("text fields: %v", ev)
			}
		}},
		{"opt_quote_private.json", "13", "quote", func(t *testing.T, ev map[string]any) {
			q, _ := ev["quote"].(map[string]any)
			if ev["text"] != "好的" || q == nil || q["id"] != "5893226576708700098" || q["display_name"] != "李洛云" {
				t.Errorf("quote fields: %v", ev)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			body := readEyun(t, c.file)
			opt := event(t, &d, body)
			if opt["kind"] != c.kind || opt["chat"] != "private" {
				t.Fatalf("kind %v chat %v, want %s private", opt["kind"], opt["chat"], c.kind)
			}
			c.check(t, opt)
			raw := event(t, &d, withMessageType(t, body, c.raw, false))
			if raw["dedup_key"] != opt["dedup_key"] || opt["dedup_key"] == "" {
				t.Errorf("dedup keys %v / %v", opt["dedup_key"], raw["dedup_key"])
			}
			sameEvent(t, c.file, withoutEyun(opt, "message_type"), withoutEyun(raw, "message_type"))
		})
	}
}

// TestEyunOptimizedCodes: every optimized code of the vendor's list decodes
// as the raw class of the same message, with the messageType as a string
// (as the captured payloads send it) or a number, and — for the classes whose
// kind the content decides — also when data.msgType is absent.
func TestEyunOptimizedCodes(t *testing.T) {
	var d decoder.Decoder
	cases := []struct {
		file string
		code string // optimized messageType
		kind string
	}{
		{"seed_text_private.json", "60001", "text"},
		{"seed_group_text.json", "80001", "text"},
		{"seed_image_private.json", "60002", "image"},
		{"seed_image_group.json", "80002", "image"},
		{"seed_video_private.json", "60003", "video"},
		{"seed_video_group.json", "80003", "video"},
		{"seed_voice_private.json", "60004", "voice"},
		{"seed_voice_group.json", "80004", "voice"},
		{"xml_contact_card.json", "60005", "contact_card"},
		{"xml_emoji_group.json", "80006", "emoji"},
		{"xml_link_group.json", "80007", "link"},
		{"xml_file.json", "60008", "file"},
		{"xml_file.json", "60009", "file"},
		{"xml_mini_program_group.json", "80010", "mini_program"},
		{"xml_chat_history.json", "60011", "chat_history"},
		{"xml_quote_text.json", "60014", "quote"},
		{"xml_location.json", "60020", "location"},
		{"xml_file.json", "60999", "file"},
		{"xml_pat_group.json", "80999", "pat"},
	}
	for _, c := range cases {
		t.Run(c.code+"/"+c.file, func(t *testing.T) {
			body := readEyun(t, c.file)
			raw := event(t, &d, body)
			if raw["kind"] != c.kind {
				t.Fatalf("raw fixture decodes as %v, want %s", raw["kind"], c.kind)
			}
			for _, mt := range []string{`"` + c.code + `"`, c.code} {
				opt := event(t, &d, withMessageType(t, body, mt, false))
				if opt["eyun"].(map[string]any)["message_type"] != json.Number(c.code) {
					t.Errorf("%s: eyun.message_type %v", mt, opt["eyun"])
				}
				sameEvent(t, mt, withoutEyun(opt, "message_type"), withoutEyun(event(t, &d, body), "message_type"))

				// Without data.msgType the code implies it.
				bare := event(t, &d, withMessageType(t, body, mt, true))
				sameEvent(t, mt+" without msgType", withoutEyun(bare, "message_type", "msg_type"),
					withoutEyun(event(t, &d, body), "message_type", "msg_type"))
			}
		})
	}
}

// TestEyunOptimizedGroupCard: a name card is the raw class 3 in a private
// chat and 2 in a group; 60005/80005 follow the chat of their prefix.
func TestEyunOptimizedGroupCard(t *testing.T) {
	var d decoder.Decoder
	body := readEyun(t, "xml_contact_card.json")
	for code, chat := range map[string]string{"60005": "private", "80005": "group"} {
		ev := event(t, &d, withMessageType(t, body, code, true))
		if ev["kind"] != "contact_card" || ev["chat"] != chat {
			t.Errorf("%s: kind %v chat %v, want contact_card %s", code, ev["kind"], ev["chat"], chat)
		}
	}
}

// TestEyunOptimizedPing: "00000" is the optimized version's test callback:
// a system event without a chat, with or without a data object; the raw
// class 0 (a number) stays a friend request.
func TestEyunOptimizedPing(t *testing.T) {
	var d decoder.Decoder
	body := readEyun(t, "opt_text_private.json")
	ping := event(t, &d, withMessageType(t, body, `"00000"`, false))
	if ping["kind"] != "system" || ping["chat"] != "" || ping["account"] != "wxid_phyyedw9xap22" {
		t.Errorf("ping: %v", ping)
	}
	noData := []byte(`{"messageType":"00000","wcId":"wxid_phyyedw9xap22"}`)
	if ev := event(t, &d, noData); ev["kind"] != "system" || ev["chat"] != "" {
		t.Errorf("ping without data: %v", ev)
	}
	// Without data any other messageType is still an error.
	if _, _, err := d.AppendDecode(nil, []byte(`{"messageType":"60001","wcId":"w"}`), decoder.Auto); err == nil {
		t.Error("60001 without data decoded")
	}
	fr := event(t, &d, readEyun(t, "xml_friend_request.json"))
	if fr["kind"] != "friend_request" {
		t.Errorf("messageType 0: %v", fr["kind"])
	}
	if zero := event(t, &d, withMessageType(t, readEyun(t, "xml_friend_request.json"), `"0"`, false)); zero["kind"] != "friend_request" {
		t.Errorf(`messageType "0": %v`, zero["kind"])
	}
}

// TestEyunOptimizedUnlisted: codes outside the vendor's list (and 30000,
// the offline notice public bot code names, whose shape is undocumented)
// stay unknown, with a problem naming the messageType.
func TestEyunOptimizedUnlisted(t *testing.T) {
	var d decoder.Decoder
	body := readEyun(t, "seed_group_text.json")
	for _, code := range []string{"80012", "61001", "30000"} {
		ev := event(t, &d, withMessageType(t, body, `"`+code+`"`, false))
		p, _ := ev["problem"].(map[string]any)
		if ev["kind"] != "unknown" || p == nil || p["field"] != "messageType" ||
			!strings.Contains(p["detail"].(string), code) {
			t.Errorf("%s: %v", code, ev)
		}
	}
}
