package worker

import (
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

// The gewe dialect has its route like every dialect the decoder names:
// /hook/gewe and /hook/{secret}/gewe decode as gewe, de-duplicate a replay by
// Appid + NewMsgId, and refuse another dialect's body.
func TestGeweRoute(t *testing.T) {
	e := start(t, nil)
	body := fixture(t, "gewe", "doc_text_private")
	if a := e.post(t, "/hook/gewe", body, "X-Wxhook-Secret", secret); a.status != 200 || a.header.Get("X-Wxhook-Duplicate") != "" {
		t.Fatalf("first: %d %q", a.status, a.body)
	}
	if a := e.post(t, "/hook/"+secret+"/gewe", body); a.status != 200 || a.header.Get("X-Wxhook-Duplicate") != "1" {
		t.Fatalf("replay: %d %q dup %q", a.status, a.body, a.header.Get("X-Wxhook-Duplicate"))
	}
	got := e.out.all()
	if len(got) != 1 || got[0] != canonical(t, body, decoder.Gewe) {
		t.Fatalf("sink got %q", got)
	}
	if v := metricValue(t, e, `wxhook_decoded_total{kind="text",vendor="gewe"}`); v != "2" {
		t.Fatalf("decoded metric %q", v)
	}
	if v := metricValue(t, e, `wxhook_received_total{route="gewe"}`); v != "2" {
		t.Fatalf("received metric %q", v)
	}
	a := e.post(t, "/hook/gewe", fixture(t, "eyun", "seed_text_private"), "X-Wxhook-Secret", secret)
	if a.status != 400 || errCode(t, a) != decoder.CodeWrongDialect {
		t.Fatalf("eyun body on the gewe route: %d %q", a.status, a.body)
	}
}
