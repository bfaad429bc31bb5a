package decoder_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unsafe"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

// Meta.Account is the canonical JSON's "account", as written there, and
// aliases the returned buffer, for every fixture that decodes.
func TestMetaAccount(t *testing.T) {
	var d decoder.Decoder
	withAccount := 0
	for _, c := range conformance.Fixtures(t) {
		dst := []byte("prefix")
		out, m, err := d.AppendDecode(dst, c.Body, c.Dialect)
		if err != nil {
			continue
		}
		js := out[len(dst):]
		var ev struct {
			Account string `json:"account"`
		}
		if err := json.Unmarshal(js, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Account == "" {
			if len(m.Account) != 0 {
				t.Errorf("%s: no account in the JSON, Meta.Account %q", c.Name, m.Account)
			}
			continue
		}
		withAccount++
		var got string
		if err := json.Unmarshal([]byte(`"`+string(m.Account)+`"`), &got); err != nil || got != ev.Account {
			t.Errorf("%s: Meta.Account %q (%v), JSON account %q", c.Name, m.Account, err, ev.Account)
		}
		p := uintptr(unsafe.Pointer(unsafe.SliceData(m.Account)))
		base := uintptr(unsafe.Pointer(unsafe.SliceData(out)))
		if p < base+uintptr(len(dst)) || p+uintptr(len(m.Account)) > base+uintptr(len(out)) {
			t.Errorf("%s: Meta.Account does not alias the output", c.Name)
		}
		if !bytes.Contains(js, []byte(`"account":"`+string(m.Account)+`"`)) {
			t.Errorf("%s: %q is not the JSON's account field", c.Name, m.Account)
		}
	}
	if withAccount < 10 {
		t.Fatalf("only %d fixtures with an account", withAccount)
	}
}

// An account that JSON escapes is given escaped, whole: the end of the
// field is found past escaped quotes and backslashes.
func TestMetaAccountEscaped(t *testing.T) {
	body := []byte(`{"account":"1","data":{"content":"hi","fromUser":"wxid_a","msgId":1,"newMsgId":2,"timestamp":1619157348,"toUser":"x\"y\\z"},"messageType":5,"wcId":"x\"y\\z"}`)
	var d decoder.Decoder
	out, m, err := d.AppendDecode(nil, body, decoder.Eyun)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Account) != `x\"y\\z` {
		t.Fatalf("Meta.Account %q, JSON %s", m.Account, out)
	}
	if !strings.Contains(string(out), `"account":"x\"y\\z"`) {
		t.Fatalf("JSON %s", out)
	}
}
