package worker

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/internal/testsrv"
	"github.com/wxhook/wxhook/worker/sink"
	"github.com/wxhook/wxhook/worker/sink/jetstream"
)

// Two replicas behind a load balancer share a real Redis: a callback and its
// replay, landing on different replicas, are delivered once.
func TestReplicasShareRedisDedup(t *testing.T) {
	url := testsrv.Redis(t)
	var outs [2]*lines
	var envs [2]*env
	for i := range envs {
		outs[i] = &lines{}
		store := func(c *Config) {
			c.Dedup.Close()
			ds, err := dedup.Open(context.Background(), url, "", dedup.Options{})
			if err != nil {
				t.Fatal(err)
			}
			c.Dedup = ds
		}
		envs[i] = start(t, sink.NewWriter(outs[i]), store)
	}
	body := fixture(t, "eyun", "seed_video_private")
	for i := range 4 {
		if a := envs[i%2].post(t, "/hook/eyun", body, "X-Wxhook-Secret", secret); a.status != 200 {
			t.Fatalf("post %d: %d %q", i, a.status, a.body)
		}
	}
	if n := len(outs[0].all()) + len(outs[1].all()); n != 1 {
		t.Fatalf("%d deliveries across replicas, want 1", n)
	}
	if a := envs[0].get(t, "/readyz"); a.status != 200 {
		t.Fatalf("readyz with redis: %d %q", a.status, a.body)
	}
}

// The JetStream sink end to end: the 200 means the stream has the event,
// and two replicas without a shared dedup store still store it once
// (Nats-Msg-Id).
func TestJetStreamSinkEndToEnd(t *testing.T) {
	srv := testsrv.NATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var envs [2]*env
	for i := range envs {
		js, err := jetstream.Open(ctx, srv.ClientURL(), jetstream.Options{})
		if err != nil {
			t.Fatal(err)
		}
		envs[i] = start(t, js)
	}
	body := fixture(t, "dll", "text_private")
	for i := range 2 {
		if a := envs[i].post(t, "/hook/dll", body, "X-Wxhook-Secret", secret); a.status != 200 {
			t.Fatalf("post %d: %d %q", i, a.status, a.body)
		}
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := natsjs.New(nc)
	st, err := js.Stream(ctx, "WXHOOK")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := st.Info(ctx)
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages, want 1", info.State.Msgs)
	}
	m, _ := st.GetMsg(ctx, 1)
	if string(m.Data) != canonical(t, body, decoder.DLL) || m.Subject != "wxhook.events.dll.text" {
		t.Fatalf("stored %s %s", m.Subject, m.Data)
	}
}

// TestJetStreamEventOverMaxPayload: an event larger than the NATS server's
// max_payload is answered 422 sink_too_large (not 503, which the vendor
// would retry forever) and dead-lettered with its body for a replay once
// the limit is raised; its dedup key is freed, so that replay is delivered.
// An event that fits still gets 200.
func TestJetStreamEventOverMaxPayload(t *testing.T) {
	srv := testsrv.NATSWith(t, testsrv.FreePort(t), filepath.Join(t.TempDir(), "js"), func(o *server.Options) { o.MaxPayload = 1024 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, err := jetstream.Open(ctx, srv.ClientURL(), jetstream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, js)
	big := fixture(t, "eyun", "xml_appmsg_unmodelled") // 1.6 KB canonical
	for i := range 2 {
		a := e.post(t, "/hook/eyun", big, "X-Wxhook-Secret", secret)
		if a.status != sink.StatusTooLarge || errCode(t, a) != sink.CodeTooLarge || !strings.Contains(a.body, "max_payload of 1024") {
			t.Fatalf("post %d of an event over max_payload: %d %q, want 422 %s", i, a.status, a.body, sink.CodeTooLarge)
		}
	}
	if a := e.post(t, "/hook/eyun", fixture(t, "eyun", "seed_text_private"), "X-Wxhook-Secret", secret); a.status != 200 {
		t.Fatalf("event under max_payload: %d %q", a.status, a.body)
	}
	if v := metricValue(t, e, `wxhook_rejects_total{code="sink_too_large"}`); v != "2" {
		t.Fatalf("rejects{sink_too_large} = %q, want 2", v)
	}
	e.stop()
	b, err := os.ReadFile(filepath.Join(e.dir, "deadletter.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte(`"status":422,"error":{"code":"sink_too_large"`)); n != 2 || bytes.Count(b, []byte("\n")) != 2 {
		t.Fatalf("dead letters: want the 2 refused posts with their bodies:\n%s", b)
	}
}
