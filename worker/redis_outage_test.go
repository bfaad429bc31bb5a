package worker

import (
	"context"
	"testing"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/internal/testsrv"
)

// redisStore replaces the worker's dedup store with a Redis one on r.
func redisStore(t *testing.T, r *testsrv.PausableRedis, opt dedup.Options) option {
	return func(c *Config) {
		c.Dedup.Close()
		ds, err := dedup.Open(context.Background(), r.URL, "", opt)
		if err != nil {
			t.Fatal(err)
		}
		c.Dedup = ds
	}
}

func dedupKeyOf(t *testing.T, body []byte) string {
	t.Helper()
	var d decoder.Decoder
	_, m, err := d.AppendDecode(nil, body, decoder.Auto)
	if err != nil {
		t.Fatal(err)
	}
	return string(m.DedupKey)
}

// Redis down when a callback arrives: the callback is refused with 503 and
// Retry-After (fail closed), the vendor's retry after the outage is
// delivered, and a resend after that is a duplicate. Delivered during the
// outage, its key could not be recorded and the resend was delivered again.
func TestRedisOutageRefusesThenDeliversOnce(t *testing.T) {
	r := testsrv.StartPausableRedis(t)
	e := start(t, nil, redisStore(t, r, dedup.Options{}))
	body := fixture(t, "eyun", "seed_text_private")

	r.Pause(t, 1500*time.Millisecond)
	a := e.post(t, "/hook/eyun", body, "X-Wxhook-Secret", secret)
	if a.status != 503 || a.header.Get("Retry-After") == "" || errCode(t, a) != "unavailable" {
		t.Fatalf("callback while Redis is down: %d %q, want 503 unavailable with Retry-After", a.status, a.body)
	}
	r.WaitBack(t)

	if a := e.post(t, "/hook/eyun", body, "X-Wxhook-Secret", secret); a.status != 200 || a.header.Get("X-Wxhook-Duplicate") != "" {
		t.Fatalf("retry after the outage: %d %q, want delivered", a.status, a.body)
	}
	if a := e.post(t, "/hook/eyun", body, "X-Wxhook-Secret", secret); a.status != 200 || a.header.Get("X-Wxhook-Duplicate") != "1" {
		t.Fatalf("resend after delivery: %d %q, want a duplicate", a.status, a.body)
	}
	if got := e.out.all(); len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
}

// Redis goes away while the event is being delivered, so its commit fails:
// the key is recorded once Redis is back, and a resend after that, on this
// replica or another one sharing Redis, is a duplicate — also after the
// claim's lease has ended (before, the claim just expired and the resend was
// delivered again).
func TestRedisOutageDuringDeliveryIsRecordedOnceBack(t *testing.T) {
	r := testsrv.StartPausableRedis(t)
	opt := dedup.Options{Lease: time.Second}
	out := &lines{}
	g := newGate(out)
	a := start(t, g, redisStore(t, r, opt))
	b := start(t, nil, redisStore(t, r, opt))
	body := fixture(t, "dll", "text_private")
	key := "wxhook:dedup:" + dedupKeyOf(t, body)

	first := make(chan answer, 1)
	go func() { first <- a.post(t, "/hook/dll", body, "X-Wxhook-Secret", secret) }()
	<-g.entered // reserved: the claim is in Redis
	r.Pause(t, 1500*time.Millisecond)
	close(g.release)
	if ans := <-first; ans.status != 200 {
		t.Fatalf("delivered event: %d %q", ans.status, ans.body)
	}
	r.WaitBack(t)

	// Recorded once Redis answers (the retry runs within ~2 s).
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := r.Admin.Get(context.Background(), key).Result()
		if err == nil && v == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q (%v) after the outage, want done", key, v, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(opt.Lease) // a claim left over would have ended by now
	for _, e := range []*env{a, b} {
		ans := e.post(t, "/hook/dll", body, "X-Wxhook-Secret", secret)
		if ans.status != 200 || ans.header.Get("X-Wxhook-Duplicate") != "1" {
			t.Fatalf("resend after the outage: %d %q duplicate=%q, want a duplicate", ans.status, ans.body, ans.header.Get("X-Wxhook-Duplicate"))
		}
	}
	if n := len(out.all()) + len(b.out.all()); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
}
