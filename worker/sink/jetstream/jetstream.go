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
//
// An event larger than NATS can take — over the server's max_payload (the
// connection's MaxPayload, 1 MiB by default) or the stream's max message
// size — is a permanent failure (sink.PermanentError with code
// sink_too_large): the worker answers 422 and dead-letters the callback
// instead of answering 503 to every retry forever. Raise the limit, then
// `wxhook replay` the dead letters.
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
	if errors.Is(err, nats.ErrMaxPayload) {
		// The client checks the size against the max_payload the server
		// announced; nothing is sent and no retry can succeed.
		return &sink.PermanentError{Status: sink.StatusTooLarge, Code: sink.CodeTooLarge, Err: fmt.Errorf(
			"jetstream: event of %d bytes (with headers) exceeds the NATS server's max_payload of %d bytes", len(msg.Data)+headerLen(msg.Header), s.nc.MaxPayload())}
	}
	if errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum) {
		return &sink.PermanentError{Status: sink.StatusTooLarge, Code: sink.CodeTooLarge, Err: fmt.Errorf(
			"jetstream: event of %d bytes exceeds the stream's max message size: %w", len(msg.Data), err)}
	}
	return err
}

// headerLen is about what the headers add to a message on the wire (the
// exact size is the client's business; this is for the error's text).
func headerLen(h nats.Header) int {
	n := len("NATS/1.0\r\n\r\n")
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n
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
