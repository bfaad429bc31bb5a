package worker

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/internal/testsrv"
)

// outageRedis is a real redis-server the test can pause: the worker's store
// gives up on a command after 200 ms and does not retry it (so a pause of a
// second or two is an outage to it), while admin waits out any pause.
type outageRedis struct {
	url   string // for the worker's store
	admin *redis.Client
}

func newOutageRedis(t *testing.T) *outageRedis {
	t.Helper()
	url := testsrv.Redis(t)
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	o.ReadTimeout = 10 * time.Second
	admin := redis.NewClient(o)
	t.Cleanup(func() { admin.Close() })
	return &outageRedis{url: url + "?read_timeout=200ms&write_timeout=200ms&max_retries=-1", admin: admin}
}

// pause makes Redis answer no client for d (CLIENT PAUSE … ALL): commands
// wait, as they would for a Redis that hangs or fails over.
func (r *outageRedis) pause(t *testing.T, d time.Duration) {
	t.Helper()
	if err := r.admin.Do(context.Background(), "CLIENT", "PAUSE", strconv.FormatInt(d.Milliseconds(), 10), "ALL").Err(); err != nil {
		t.Fatal(err)
	}
}

// waitBack returns once Redis answers again.
func (r *outageRedis) waitBack(t *testing.T) {
	t.Helper()
	if err := r.admin.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

// store replaces the worker's dedup store with a Redis one.
func (r *outageRedis) store(t *testing.T, opt dedup.Options) option {
	return func(c *Config) {
		c.Dedup.Close()
		ds, err := dedup.Open(context.Background(), r.url, "", opt)
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
	r := newOutageRedis(t)
	e := start(t, nil, r.store(t, dedup.Options{}))
	body := fixture(t, "eyun", "seed_text_private")

	r.pause(t, 1500*time.Millisecond)
	a := e.post(t, "/hook/eyun", body, "X-Wxhook-Secret", secret)
	if a.status != 503 || a.header.Get("Retry-After") == "" || errCode(t, a) != "unavailable" {
		t.Fatalf("callback while Redis is down: %d %q, want 503 unavailable with Retry-After", a.status, a.body)
	}
	r.waitBack(t)

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
	r := newOutageRedis(t)
	opt := dedup.Options{Lease: time.Second}
	out := &lines{}
	g := newGate(out)
	a := start(t, g, r.store(t, opt))
	b := start(t, nil, r.store(t, opt))
	body := fixture(t, "dll", "text_private")
	key := "wxhook:dedup:" + dedupKeyOf(t, body)

	first := make(chan answer, 1)
	go func() { first <- a.post(t, "/hook/dll", body, "X-Wxhook-Secret", secret) }()
	<-g.entered // reserved: the claim is in Redis
	r.pause(t, 1500*time.Millisecond)
	close(g.release)
	if ans := <-first; ans.status != 200 {
		t.Fatalf("delivered event: %d %q", ans.status, ans.body)
	}
	r.waitBack(t)

	// Recorded once Redis answers (the retry runs within ~2 s).
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := r.admin.Get(context.Background(), key).Result()
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
