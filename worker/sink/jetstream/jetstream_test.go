package jetstream

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/internal/testsrv"
	"github.com/wxhook/wxhook/worker/sink"
)

func TestPublishWithMsgIDDeduplicates(t *testing.T) {
	srv := testsrv.NATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, srv.ClientURL(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if err := s.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	line := []byte(`{"vendor":"eyun","kind":"text","dedup_key":"eyun:a:1:2"}` + "\n")
	r := sink.Record{Line: line, Meta: decoder.Meta{Vendor: decoder.Eyun, Kind: decoder.KindText, DedupKey: []byte("eyun:a:1:2")}}
	for range 3 { // a replay, and another replica's publish of the same event
		if err := s.Deliver(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	r2 := r
	r2.Meta.DedupKey = []byte("eyun:a:9:2")
	r2.Meta.Kind = decoder.KindImage
	if err := s.Deliver(ctx, r2); err != nil {
		t.Fatal(err)
	}

	nc, _ := nats.Connect(srv.ClientURL())
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(ctx, "WXHOOK")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := st.Info(ctx)
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d messages, want 2 (JetStream dedup on Nats-Msg-Id)", info.State.Msgs)
	}
	m, err := st.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "wxhook.events.eyun.text" || string(m.Data) != string(line[:len(line)-1]) ||
		m.Header.Get(jetstream.MsgIDHeader) != "eyun:a:1:2" {
		t.Fatalf("message: %s %q %v", m.Subject, m.Data, m.Header)
	}
	m, _ = st.GetMsg(ctx, 2)
	if m.Subject != "wxhook.events.eyun.image" {
		t.Fatalf("second subject %s", m.Subject)
	}
}

func TestDeliverFailsWhenServerDown(t *testing.T) {
	srv := testsrv.NATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, srv.ClientURL(), Options{Subject: "hooks", Stream: "HOOKS"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	srv.Shutdown()
	srv.WaitForShutdown()
	dctx, dcancel := context.WithTimeout(ctx, time.Second)
	defer dcancel()
	r := sink.Record{Line: []byte("{}\n"), Meta: decoder.Meta{DedupKey: []byte("k")}}
	if err := s.Deliver(dctx, r); err == nil {
		t.Fatal("Deliver succeeded with the server down: the worker would answer 200 for a lost event")
	}
	if s.Ready(ctx) == nil {
		t.Fatal("Ready with the server down")
	}
}
