// Package jetstream is the sink that publishes each event to NATS JetStream
// and waits for the stream's PubAck: the vendor's 200 goes out only once the
// event is stored by JetStream (replicated, if the stream is). Each message
// carries Nats-Msg-Id = the event's dedup key, so JetStream's own duplicate
// window drops a second publish of one event even from another replica.
//
// Subjects are <subject>.<vendor>.<kind> (e.g. wxhook.events.eyun.text), so
// consumers can filter. If the stream does not exist it is created with the
// subjects <subject>.> and the server's default duplicate window; an existing
// stream is used as the operator configured it.
package jetstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wxhook/wxhook/worker/sink"
)

// Options configure the sink.
type Options struct {
	// Subject is the subject prefix (default "wxhook.events").
	Subject string
	// Stream is the stream name (default "WXHOOK").
	Stream string
	// Duplicates is the duplicate window used when creating the stream
	// (0: the server's default, two minutes).
	Duplicates time.Duration
}

// Sink publishes to JetStream.
type Sink struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	subject string
}

// Open connects to url (nats://host:port) and makes sure the stream exists.
func Open(ctx context.Context, url string, opt Options) (*Sink, error) {
	if opt.Subject == "" {
		opt.Subject = "wxhook.events"
	}
	if opt.Stream == "" {
		opt.Stream = "WXHOOK"
	}
	nc, err := nats.Connect(url, nats.Name("wxhook"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if _, err := js.Stream(ctx, opt.Stream); errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:       opt.Stream,
			Subjects:   []string{opt.Subject + ".>"},
			Duplicates: opt.Duplicates,
		})
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("jetstream: create stream %s: %w", opt.Stream, err)
		}
	} else if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: stream %s: %w", opt.Stream, err)
	}
	return &Sink{nc: nc, js: js, subject: opt.Subject}, nil
}

// Deliver implements sink.Sink: publish and wait for the PubAck.
func (s *Sink) Deliver(ctx context.Context, r sink.Record) error {
	subj := s.subject + "." + r.Meta.Vendor.String() + "." + r.Meta.Kind.String()
	msg := &nats.Msg{Subject: subj, Data: r.JSON(), Header: nats.Header{}}
	if len(r.Meta.DedupKey) > 0 {
		msg.Header.Set(jetstream.MsgIDHeader, string(r.Meta.DedupKey))
	}
	_, err := s.js.PublishMsg(ctx, msg)
	return err
}

// Ready implements sink.Sink: the connection is up.
func (s *Sink) Ready(context.Context) error {
	if !s.nc.IsConnected() {
		return fmt.Errorf("jetstream: not connected (%s)", s.nc.Status())
	}
	return nil
}

// Close implements sink.Sink: flush and drain the connection.
func (s *Sink) Close(ctx context.Context) error {
	var err error
	if !s.nc.IsConnected() {
		// Nothing to flush to; PubAcks were already awaited by Deliver.
	} else if _, ok := ctx.Deadline(); ok {
		err = s.nc.FlushWithContext(ctx) // it refuses a context without deadline
	} else {
		err = s.nc.Flush()
	}
	s.nc.Close()
	return err
}
