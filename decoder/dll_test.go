package decoder_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

// The dll tests read the canonical JSON (not the Go structs), so that they
// state the schema's promise field by field: docs/SCHEMA.md's dll table.

// dllJSON decodes body as dialect and returns its canonical JSON as a map.
func dllJSON(t *testing.T, body []byte, dialect decoder.Dialect) map[string]any {
	t.Helper()
	var d decoder.Decoder
	out, _, err := d.AppendDecode(nil, body, dialect)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("canonical JSON: %v", err)
	}
	return m
}

// at returns the value at a dotted path of m ("card.corp_name"), or nil.
func at(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

// TestDLLDocumentedEvents: each event the vendor documents decodes, from the
// vendor's own example (testdata/SOURCES.md), into its canonical kind with the
// documented fields carried.
func TestDLLDocumentedEvents(t *testing.T) {
	for _, c := range []struct {
		file string
		want map[string]any // path → value (numbers as float64, as JSON reads them)
	}{
		{"text_doc", map[string]any{ // 20002: the example carries a quoted message
			"kind": "quote", "text": "测试消息", "quote.text": "string", "dll.quote_app_info": "private",
			"from": "test", "from_name": "好友昵称", "chat": "private"}},
		{"text_group", map[string]any{
			"kind": "text", "chat": "group", "room": "44815209371@chatroom", "from": "wxid_9k2mx81lq0ce22",
			"text": "@小助手\u2005帮我查一下订单 20240920-0017"}},
		{"text_private", map[string]any{"kind": "text", "text": "你好,请问这款还有货吗?", "quote": nil}},
		{"seed_video", map[string]any{"kind": "video", "media.duration": 3000.0, "media.width": 224.0,
			"media.thumb.width": 90.0, "media.cdn_type": 1.0}},
		{"file", map[string]any{"kind": "file", "media.file_name": "string", "media.size": 120722.0,
			"media.aes_key": "d34a4f140a50e6ae70e9d143d84cc539", "media.cdn_type": 1.0,
			"media.auth_key": "v1_b1f3aaa0826b04374ef32f357a71dedd0c89a9fc8269a6eeebbf313e1bf80562331f107a960cce8e0333ef5c5dcef5121a467c980347f1d7500872cb217c4fbf"}},
		{"emoji", map[string]any{"kind": "emoji", "media.file_id": "string", "media.url": "string",
			"media.aes_key": "d34a4f140a50e6ae70e9d143d84cc539", "media.md5": "25a0c03336d8193ba574ca4293403003",
			"media.cdn_type": 1.0}},
		{"name_card", map[string]any{"kind": "contact_card", "card.user_id": "string", "card.nickname": "string",
			"card.avatar": "string", "card.corp_name": "微信", "dll.source": "微信"}},
		{"mini_program", map[string]any{"kind": "mini_program", "mini_program.app_id": "wx696a42df4f2456d3",
			"mini_program.user_name": "gh_afe6acb517f0@app", "mini_program.page_path": "pages/home/home.html",
			"mini_program.title": "下单免排队,外卖送上门", "mini_program.display_name": "喜茶GO",
			"mini_program.icon_url":      "http://mmbiz.qpic.cn/mmbiz_png/xMiafHYLl3Ia3aLibcm6PiboWlzpnGdBU7MfUGAiaYMxIov13MLticBeQfcwyIicERqrpyg6Adp4SIOl2uLKq2ehHgrA/640?wx_fmt=png&wxfrom=200",
			"mini_program.thumb.aes_key": "646B686A656F6C7569707A6E70717564", "mini_program.thumb.size": 58992.0,
			"mini_program.thumb.width": 720.0, "mini_program.thumb.height": 576.0, "mini_program.thumb.cdn_type": 2.0}},
		{"voice", map[string]any{"kind": "voice", "media.duration": 10000.0, "media.file_id": "string",
			"media.file_name": "string", "media.aes_key": "string", "media.md5": "string"}},
		{"recall", map[string]any{"kind": "recall", "recall.id": "7053704521966022857", "from": "string",
			"room": "", "chat": "private", "id": ""}},
		{"friend_deleted", map[string]any{"kind": "friend_deleted", "chat": "", "dll.send_time": 1726826627676.0}},
		{"login", map[string]any{"kind": "login", "account": "wxid_test", "card.user_id": "wxid_test",
			"card.alias": "wxnum_test", "card.nickname": "测试微信", "card.avatar": "https://wx.qlogo.cn/mmhead/ver_1/xxxxxx",
			"card.province": "Beijing", "dll.country": "CN", "dll.device": "device", "dll.phone": "13255475512"}},
		{"private_message_legacy", map[string]any{"kind": "text", "text": "测试消息", "id": "7053704521966022857",
			"dll.send_time": 1726826627676.0, "dll.from_type": "private", "from": "test"}},
		{"text_with_images", map[string]any{"kind": "unknown", "content": "string", "problem.field": "event"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("..", "testdata", "callbacks", "dll", c.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			m := dllJSON(t, body, decoder.Auto)
			for path, want := range c.want {
				if got := at(m, path); got != want {
					t.Errorf("%s = %#v, want %#v", path, got, want)
				}
			}
			if m["kind"] == "unknown" && m["raw"] == nil {
				t.Error("an unknown event keeps the raw callback")
			}
		})
	}
}

// TestDLLMentionsAndQuote: mentions come from atWxIdList; only a non-empty
// quoteMessage makes a text a quote; a group recall names its room.
func TestDLLMentionsAndQuote(t *testing.T) {
	m := dllJSON(t, []byte(`{"event":"20002","time":1726826627676,"data":{"robotId":"r","serverId":"1",`+
		`"conversationId":"1@chatroom","fromWxId":"a","message":"hi","atWxIdList":["b","c"],"quoteMessage":""}}`), decoder.DLL)
	if got, _ := json.Marshal(m["mentions"]); string(got) != `["b","c"]` || m["kind"] != "text" || m["chat"] != "group" {
		t.Errorf("mentions %s kind %v chat %v", got, m["kind"], m["chat"])
	}
	m = dllJSON(t, []byte(`{"event":"20002","data":{"robotId":"r","serverId":"2","message":"yes","quoteMessage":"did you?"}}`), decoder.DLL)
	if m["kind"] != "quote" || m["text"] != "yes" || at(m, "quote.text") != "did you?" {
		t.Errorf("quote: %v", m)
	}
	m = dllJSON(t, []byte(`{"event":"20015","data":{"robotId":"r","messageServerId":88,"opUserId":"u","roomId":"9@chatroom"}}`), decoder.DLL)
	if m["kind"] != "recall" || at(m, "recall.id") != "88" || m["room"] != "9@chatroom" || m["chat"] != "group" ||
		at(m, "recall.session") != "9@chatroom" || m["from"] != "u" {
		t.Errorf("group recall: %v", m)
	}
}

// TestDLLKeys: the vendor's examples share serverId "string" across events;
// the event code keeps their keys apart, and a replay keeps its key.
func TestDLLKeys(t *testing.T) {
	var d decoder.Decoder
	keys := map[string]string{}
	for _, f := range []string{"text_doc", "emoji", "name_card", "mini_program", "voice", "seed_video"} {
		body, err := os.ReadFile(filepath.Join("..", "testdata", "callbacks", "dll", f+".json"))
		if err != nil {
			t.Fatal(err)
		}
		_, m, err := d.AppendDecode(nil, body, decoder.DLL)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := keys[string(m.DedupKey)]; dup {
			t.Errorf("%s and %s share key %s", f, other, m.DedupKey)
		}
		keys[string(m.DedupKey)] = f
	}
}

// TestDLLOddShapes: a documented field of the wrong type is a typed error
// naming the field; an undocumented event is unknown with the raw kept.
func TestDLLOddShapes(t *testing.T) {
	for _, c := range []struct{ name, body, field string }{
		{"message object", `{"event":"20002","data":{"message":{}}}`, "data.message"},
		{"atWxIdList string", `{"event":"20002","data":{"message":"x","atWxIdList":"a,b"}}`, "data.atWxIdList"},
		{"quoteMessage array", `{"event":"20002","data":{"message":"x","quoteMessage":[1]}}`, "data.quoteMessage"},
		{"c2cCdnData size", `{"event":"20012","data":{"c2cCdnData":{"size":"big"}}}`, "data.c2cCdnData.size"},
		{"corpId text", `{"event":"20008","data":{"corpId":"acme"}}`, "data.corpId"},
		{"thumbWidth object", `{"event":"20009","data":{"thumbWidth":{}}}`, "data.thumbWidth"},
		{"messageServerId object", `{"event":"20015","data":{"messageServerId":{}}}`, "data.messageServerId"},
		{"timeStamp text", `{"event":"10002","data":{"timeStamp":"soon"}}`, "data.timeStamp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d decoder.Decoder
			var ev decoder.Event
			err := d.Decode([]byte(c.body), decoder.DLL, &ev)
			var e *decoder.Error
			if !errors.As(err, &e) || e.Code != decoder.CodeBadField || e.Field != c.field || e.Offset < 0 {
				t.Fatalf("got %v (%#v), want bad_field at %s", err, e, c.field)
			}
		})
	}
	m := dllJSON(t, []byte(`{"event":"20026","data":{"robotId":"r","qrcodeKey":"k","status":1}}`), decoder.DLL)
	if m["kind"] != "unknown" || m["raw"] == nil || at(m, "problem.field") != "event" {
		t.Errorf("undocumented event: %v", m)
	}
}
