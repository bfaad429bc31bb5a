package jetstream

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
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

// TestEventOverMaxPayloadIsPermanent: an event larger than the server's
// max_payload can never be published. Deliver must say so with a
// sink.PermanentError (the worker then answers 422 and dead-letters it),
// not a plain error the worker turns into 503 for every retry, forever.
// Events that fit still go through.
func TestEventOverMaxPayloadIsPermanent(t *testing.T) {
	srv := testsrv.NATSWith(t, testsrv.FreePort(t), filepath.Join(t.TempDir(), "js"), func(o *server.Options) { o.MaxPayload = 1024 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, srv.ClientURL(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if s.nc.MaxPayload() != 1024 {
		t.Fatalf("max payload %d, want the server's 1024", s.nc.MaxPayload())
	}
	big := []byte(`{"vendor":"eyun","kind":"text","content":"` + strings.Repeat("x", 2000) + `"}` + "\n")
	r := sink.Record{Line: big, Meta: decoder.Meta{Vendor: decoder.Eyun, Kind: decoder.KindText, DedupKey: []byte("eyun:a:big:1")}}
	for range 2 { // the same answer every time, at once
		err = s.Deliver(ctx, r)
		var pe *sink.PermanentError
		if !errors.As(err, &pe) || pe.Status != sink.StatusTooLarge || pe.Code != sink.CodeTooLarge ||
			!strings.Contains(err.Error(), "max_payload of 1024") {
			t.Fatalf("Deliver of %d bytes over max_payload 1024: %v (want a PermanentError naming the limit)", len(big), err)
		}
	}
	small := sink.Record{Line: []byte(`{"vendor":"eyun","kind":"text"}` + "\n"), Meta: decoder.Meta{Vendor: decoder.Eyun, Kind: decoder.KindText, DedupKey: []byte("eyun:a:small:1")}}
	if err := s.Deliver(ctx, small); err != nil {
		t.Fatalf("small event after a refused one: %v", err)
	}
}

// TestEventOverStreamMaxMsgSizeIsPermanent: the same for a stream the
// operator created with a max message size below the server's max_payload.
func TestEventOverStreamMaxMsgSizeIsPermanent(t *testing.T) {
	srv := testsrv.NATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WXHOOK", Subjects: []string{"wxhook.events.>"}, MaxMsgSize: 1024}); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, srv.ClientURL(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	big := []byte(`{"content":"` + strings.Repeat("x", 2000) + `"}` + "\n")
	err = s.Deliver(ctx, sink.Record{Line: big, Meta: decoder.Meta{Vendor: decoder.Eyun, Kind: decoder.KindText, DedupKey: []byte("k")}})
	var pe *sink.PermanentError
	if !errors.As(err, &pe) || pe.Code != sink.CodeTooLarge {
		t.Fatalf("Deliver over the stream's max message size: %v (want a PermanentError)", err)
	}
}
