package decoder_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wxhook/wxhook/decoder"
)

// Two wecom callbacks as the vendor documents them
// (testdata/callbacks/wecom/seed_text_private.json and seed_group_text.json).
const (
	privateText = `{"seq":"9325976","token":"2fe8b98609a94a2089786fd379ef2724","message":{"id":1000423,"remote_id":"9325976","text":"文本","timestamp":"1697612364","type":"Text","from_id":"1688****534","to_id":"16888****798"}}`
	groupText   = `{"seq":"9326006","token":"2fe8b98609a94a2089786fd379ef2724","message":{"id":1000492,"remote_id":"9326006","text":"测试","timestamp":"1697614321","type":"Text","from_id":"1688****534","room_id":"10765992068360238"}}`
)

func ExampleDecoder_Decode() {
	var d decoder.Decoder // reuse it: no allocation in steady state
	var ev decoder.Event
	if err := d.Decode([]byte(privateText), decoder.Auto, &ev); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Vendor, ev.Kind, ev.Chat, ev.From, "→", ev.To, ev.Text)
	// Output:
	// wecom text private 1688****534 → 16888****798 文本
}

func ExampleDecoder_AppendDecode() {
	var d decoder.Decoder
	var buf []byte
	buf, meta, err := d.AppendDecode(buf[:0], []byte(groupText), decoder.Auto)
	if err != nil {
		fmt.Println(err)
		return
	}
	// meta routes the event without parsing buf again.
	fmt.Println(meta.Vendor, meta.Kind)

	// buf is the canonical JSON (docs/SCHEMA.md); any JSON reader takes it.
	var ev struct {
		Kind decoder.Kind `json:"kind"`
		Chat decoder.Chat `json:"chat"`
		Room string       `json:"room"`
		Text string       `json:"text"`
	}
	if err := json.Unmarshal(buf, &ev); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Kind, ev.Chat, ev.Room, ev.Text)
	// Output:
	// wecom text
	// text group 10765992068360238 测试
}

// An Event aliases the body and the Decoder until the next call; Clone gives
// one that owns its memory.
func ExampleEvent_Clone() {
	var d decoder.Decoder
	var ev decoder.Event
	if err := d.Decode([]byte(privateText), decoder.Wecom, &ev); err != nil {
		fmt.Println(err)
		return
	}
	kept := ev.Clone()
	if err := d.Decode([]byte(groupText), decoder.Wecom, &ev); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(kept.Chat, kept.Text)
	fmt.Println(ev.Chat, ev.Text)
	// Output:
	// private 文本
	// group 测试
}

// Every decoding error is an *Error: a code, the dialect, the field path and
// the byte offset in the body.
func ExampleError() {
	var d decoder.Decoder
	var ev decoder.Event
	// testdata/callbacks/invalid/eyun_data_array.json: data is an array.
	body := []byte(`{"account":"180132123321","data":[],"messageType":5,"wcId":"wxid_ctqh94e1ahe722"}`)
	err := d.Decode(body, decoder.Eyun, &ev)

	var e *decoder.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Vendor, e.Field, e.Offset)
	}
	fmt.Println(errors.Is(err, &decoder.Error{Code: decoder.CodeBadField}))
	// Output:
	// bad_field eyun data 34
	// true
}

// An Engine is safe for concurrent use; NewEngine's decodes natively,
// host.New's in the WebAssembly module, with the same output.
func ExampleNewEngine() {
	e := decoder.NewEngine()
	out, meta, err := e.AppendDecode(context.Background(), nil, []byte(privateText), decoder.Auto)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(meta.Vendor, meta.Kind, json.Valid(out))
	// Output:
	// wecom text true
}
