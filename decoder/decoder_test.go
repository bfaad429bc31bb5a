package decoder_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

func decodeFile(t *testing.T, path string) *decoder.Event {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d decoder.Decoder
	var ev decoder.Event
	if err := d.Decode(body, decoder.Auto, &ev); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ev.Clone()
}

// The facts the seed documents state, checked one by one (the golden files
// pin the whole output; these say why the values are right).
func TestSeedFacts(t *testing.T) {
	t.Run("eyun ids keep every digit and dedup uses newMsgId+timestamp", func(t *testing.T) {
		ev := decodeFile(t, "testdata/callbacks/eyun/seed_text_private.json")
		if ev.Vendor != decoder.Eyun || ev.Kind != decoder.KindText || ev.Chat != decoder.ChatPrivate {
			t.Fatalf("vendor/kind/chat = %v/%v/%v", ev.Vendor, ev.Kind, ev.Chat)
		}
		if ev.ID != "769189154845429899" { // > 2^53: float64 would round it
			t.Errorf("id = %q", ev.ID)
		}
		if ev.DedupKey != "eyun:wxid_ctqh94e1ahe722:769189154845429899:1619157348" {
			t.Errorf("dedup_key = %q", ev.DedupKey)
		}
		if ev.Time != 1619157348000 {
			t.Errorf("time = %d, want seconds as ms", ev.Time)
		}
		if ev.Account != "wxid_ctqh94e1ahe722" || ev.From != "wxid_6j310kguyobz22" || ev.Text != "这是一条文本内容" {
			t.Errorf("account/from/text = %q/%q/%q", ev.Account, ev.From, ev.Text)
		}
	})
	t.Run("eyun group text: room and atlist mentions", func(t *testing.T) {
		ev := decodeFile(t, "testdata/callbacks/eyun/seed_group_text.json")
		if ev.Chat != decoder.ChatGroup || ev.Room != "22135005646@chatroom" {
			t.Errorf("chat/room = %v/%q", ev.Chat, ev.Room)
		}
		if len(ev.Mentions) != 1 || ev.Mentions[0] != "wxid_ctqh94e1ahe722" {
			t.Errorf("mentions = %q", ev.Mentions)
		}
	})
	t.Run("wecom text timestamp string in seconds", func(t *testing.T) {
		ev := decodeFile(t, "testdata/callbacks/wecom/seed_text_private.json")
		if ev.Time != 1697612364000 || ev.ID != "1000423" || ev.Wecom.Seq != "9325976" {
			t.Errorf("time/id/seq = %d/%q/%q", ev.Time, ev.ID, ev.Wecom.Seq)
		}
	})
	t.Run("wecom image: JSON inside message.text decoded fully", func(t *testing.T) {
		ev := decodeFile(t, "testdata/callbacks/wecom/seed_image.json")
		m := ev.Media
		if ev.Kind != decoder.KindImage || m.Size != 193099 || m.Width != 1242 || m.Height != 2688 ||
			m.AESKey != "7fd432140980ec5f43aa8ab96fedbbd4" || m.MD5 != "c9c4cb71e1f5566c91e70f67241ae6a3" ||
			!strings.HasPrefix(m.FileID, "30819302") {
			t.Errorf("media = %+v", m)
		}
	})
	t.Run("wecom video duration in ms", func(t *testing.T) {
		ev := decodeFile(t, "testdata/callbacks/wecom/seed_video.json")
		if ev.Kind != decoder.KindVideo || ev.Media.Duration != 2000 || ev.Media.Size != 228936 ||
			ev.Media.Thumb.URL != "https://wework.qpic.cn/wwpic/874650_-iamzVVYSvK4k6I_1697687400" {
			t.Errorf("media = %+v", ev.Media)
		}
	})
	t.Run("wecom location", func(t *testing.T) {
		ev := decodeFile(t, "testdata/callbacks/wecom/seed_location.json")
		if ev.Location.Lat != 14.687432 || ev.Location.Lng != 166.647677 || ev.Location.Label != "***北(东环南路西)" {
			t.Errorf("location = %+v", ev.Location)
		}
	})
	t.Run("wecom ROOM_JOIN: inviter and invitees, ms timestamp string", func(t *testing.T) {
		ev := decodeFile(t, "testdata/callbacks/wecom/seed_room_join.json")
		rc := ev.RoomChange
		if ev.Kind != decoder.KindRoomJoin || rc.Actor != "1688855440457534" || len(rc.Members) != 1 ||
			rc.Members[0].ID != "1688857997391344" || ev.Time != 1697701029000 || ev.Room != "R:10820914206954126" {
			t.Errorf("event = %+v", ev)
		}
	})
	t.Run("wecom LOGOUT", func(t *testing.T) {
		ev := decodeFile(t, "testdata/callbacks/wecom/seed_logout.json")
		if ev.Kind != decoder.KindLogout || ev.Text != "手机端退出登录(65538)" || ev.Chat != decoder.ChatNone {
			t.Errorf("event = %+v", ev)
		}
	})
	t.Run("dll video: data sizes for the video, cdnData sizes for the preview", func(t *testing.T) {
		ev := decodeFile(t, "testdata/callbacks/dll/seed_video.json")
		m := ev.Media
		if ev.Kind != decoder.KindVideo || ev.Time != 1726826627676 || m.Width != 224 || m.Height != 398 ||
			m.Duration != 3000 || m.Thumb.Width != 90 || m.Thumb.Height != 120 || m.Size != 120722 ||
			m.CDNType != 1 || ev.FromName != "好友昵称" || ev.DLL.Event != "20004" {
			t.Errorf("event = %+v", ev)
		}
	})
}

// A Decoder reused across callbacks leaks nothing from one into the next.
func TestDecoderReuse(t *testing.T) {
	files := conformance.Fixtures(t)
	var reused decoder.Decoder
	var prev []byte
	for round := 0; round < 2; round++ {
		for _, c := range files {
			f, body := c.Name, c.Body
			want := canonical(&decoder.Decoder{}, body, decoder.Auto)
			got := canonical(&reused, body, decoder.Auto)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s after %q:\nreused: %s\n fresh: %s", f, prev, got, want)
			}
			prev = body[:min(len(body), 40)]
		}
	}
}

// Replays of a callback have the same dedup key; other messages do not.
func TestDedupKeys(t *testing.T) {
	seen := map[string]string{}
	var d decoder.Decoder
	for _, c := range conformance.Fixtures(t) {
		f, body := c.Name, c.Body
		if strings.HasPrefix(f, "invalid/") {
			continue
		}
		out, m, err := d.AppendDecode(nil, body, decoder.Auto)
		if err != nil {
			continue
		}
		key := string(m.DedupKey)
		if !bytes.Contains(out, []byte(`"dedup_key":"`+key+`"`)) {
			t.Errorf("%s: Meta.DedupKey %q is not the JSON's", f, key)
		}
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s share dedup key %q", f, other, key)
		}
		seen[key] = f
		// The same body again (a replay) gives the same key.
		_, m2, _ := d.AppendDecode(nil, body, decoder.Auto)
		if string(m2.DedupKey) != key {
			t.Errorf("%s: replay key %q != %q", f, m2.DedupKey, key)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, body string
		dialect    decoder.Dialect
		code       decoder.Code
		field      string
		offset     int
	}{
		{"empty", "", decoder.Auto, decoder.CodeEmpty, "", 0},
		{"array", "[1]", decoder.Auto, decoder.CodeNotJSON, "", 0},
		{"syntax", `{"wcId":"a",}`, decoder.Auto, decoder.CodeNotJSON, "", 12},
		{"no dialect", `{"a":1}`, decoder.Auto, decoder.CodeUnknownDialect, "", -1},
		{"two dialects", `{"wcId":"a","message":{}}`, decoder.Auto, decoder.CodeUnknownDialect, "message", -1},
		{"wrong dialect", `{"wcId":"a","messageType":5,"data":{}}`, decoder.Wecom, decoder.CodeWrongDialect, "", -1},
		{"eyun without data", `{"wcId":"a","messageType":5}`, decoder.Auto, decoder.CodeMissingField, "data", -1},
		{"eyun bad messageType", `{"wcId":"a","messageType":"x","data":{}}`, decoder.Auto, decoder.CodeBadField, "messageType", 26},
		// A wrong JSON type is reported just after the offending token.
		{"wecom message not object", `{"seq":1,"message":"x"}`, decoder.Auto, decoder.CodeBadField, "message", 22},
		{"dll time object", `{"event":"20002","time":{},"data":{}}`, decoder.Auto, decoder.CodeBadField, "time", 24},
		{"trailing garbage", `{"event":"20002","data":{}} x`, decoder.Auto, decoder.CodeNotJSON, "", 28},
	}
	var d decoder.Decoder
	var ev decoder.Event
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := d.Decode([]byte(c.body), c.dialect, &ev)
			var e *decoder.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *decoder.Error", err)
			}
			if e.Code != c.code || e.Field != c.field || e.Offset != c.offset {
				t.Errorf("got code=%s field=%q offset=%d (%v), want %s %q %d", e.Code, e.Field, e.Offset, e, c.code, c.field, c.offset)
			}
			if !errors.Is(err, &decoder.Error{Code: c.code}) {
				t.Errorf("errors.Is by code failed")
			}
			back, perr := decoder.ParseErrorJSON(e.AppendJSON(nil))
			if perr != nil || *back != *e {
				t.Errorf("error JSON does not round-trip: %+v %v", back, perr)
			}
		})
	}
}

// Unreadable nested content keeps the callback: kind unknown, raw kept,
// the problem named.
func TestBadContentIsKept(t *testing.T) {
	body := []byte(`{"seq":"1","token":"t","message":{"id":7,"text":"{\"file_id\":","timestamp":"1697612364","type":"Image","from_id":"a","to_id":"b"}}`)
	var d decoder.Decoder
	var ev decoder.Event
	if err := d.Decode(body, decoder.Auto, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != decoder.KindUnknown || ev.Problem.Code != decoder.CodeBadContent || ev.Problem.Field != "message.text" {
		t.Errorf("kind=%v problem=%+v", ev.Kind, ev.Problem)
	}
	if !bytes.Equal(ev.Raw, body) {
		t.Errorf("raw = %s", ev.Raw)
	}
	if ev.Problem.Offset != bytes.Index(body, []byte(`"{\"file_id`)) {
		t.Errorf("problem offset %d", ev.Problem.Offset)
	}
}

func TestNativeEngine(t *testing.T) {
	e := decoder.NewEngine()
	defer e.Close(context.Background())
	body, _ := os.ReadFile("testdata/callbacks/eyun/seed_text_private.json")
	out, m, err := e.AppendDecode(context.Background(), []byte("prefix:"), body, decoder.Auto)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("prefix:{")) || m.Vendor != decoder.Eyun || m.Kind != decoder.KindText {
		t.Errorf("out=%s meta=%+v", out, m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := e.AppendDecode(ctx, nil, body, decoder.Auto); !errors.Is(err, &decoder.Error{Code: decoder.CodeInternal}) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
}

// An error outlives its input and reads back from its JSON unchanged, even
// when the input put invalid UTF-8 in a field name (engines that run the
// decoder elsewhere rebuild errors from that JSON).
func TestErrorOwnsValidStrings(t *testing.T) {
	body := []byte("{\"seq\":\"1\",\"token\":\"x\",\"message\xff: {\"id\": 1}}")
	var d decoder.Decoder
	var ev decoder.Event
	err := d.Decode(body, decoder.Wecom, &ev)
	var e *decoder.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	before := *e
	for i := range body {
		body[i] = 'x'
	}
	if *e != before {
		t.Fatalf("error changed with its input: %+v -> %+v", before, *e)
	}
	js := e.AppendJSON(nil)
	back, perr := decoder.ParseErrorJSON(js)
	if perr != nil || !bytes.Equal(back.AppendJSON(nil), js) {
		t.Fatalf("error JSON does not round-trip:\n%s\n%s", js, back.AppendJSON(nil))
	}
}

// WeChat sends msgType 51 ("opened a chat") for private chats too: only a
// group id becomes the room.
func TestOpenedPrivateChatIsNotARoom(t *testing.T) {
	body := []byte(`{"account":"1","data":{"content":"<msg>\n<op id='1'>\n<username>wxid_friend</username>\n</op>\n</msg>","fromUser":"wxid_bot","msgId":1,"msgType":51,"newMsgId":2,"timestamp":1619163632,"toUser":"wxid_friend"},"messageType":13,"wcId":"wxid_bot"}`)
	var d decoder.Decoder
	var ev decoder.Event
	if err := d.Decode(body, decoder.Auto, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != decoder.KindRoomEnter || ev.Room != "" || ev.Chat != decoder.ChatPrivate {
		t.Errorf("kind=%v room=%q chat=%v", ev.Kind, ev.Room, ev.Chat)
	}
}
