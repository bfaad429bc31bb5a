package worker

import (
	"context"
	"testing"
	"time"

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
