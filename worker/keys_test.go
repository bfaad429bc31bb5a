package worker

import (
	"encoding/json"
	"testing"
)

// Two callbacks that differ only by where a ':' sits in their ids are two
// events: both are delivered (with the parts joined unescaped they shared a
// dedup key and the second was answered as a duplicate).
func TestColonInIDsDoesNotMakeDuplicates(t *testing.T) {
	e := start(t, nil)
	raw := fixture(t, "wecom", "seed_text_private")
	for _, ids := range [][2]string{{"x:1", "2"}, {"x", "1:2"}} {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		msg := m["message"].(map[string]any)
		msg["from_id"], msg["to_id"] = ids[0], ids[1]
		body, _ := json.Marshal(m)
		a := e.post(t, "/hook/wecom", body, "X-Wxhook-Secret", secret)
		if a.status != 200 || a.header.Get("X-Wxhook-Duplicate") != "" {
			t.Fatalf("from %q to %q: %d %q duplicate=%q", ids[0], ids[1], a.status, a.body, a.header.Get("X-Wxhook-Duplicate"))
		}
	}
	if got := e.out.all(); len(got) != 2 {
		t.Fatalf("%d events delivered, want 2: %q", len(got), got)
	}
}
