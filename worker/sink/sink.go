// Package sink defines where the worker hands decoded events on, and
// implements the two line-oriented sinks: standard output (NDJSON) and an
// append-only file. The HTTP forward (package forward) and NATS JetStream
// (package jetstream) sinks live in subpackages.
package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/internal/appendlog"
)

// Record is one decoded event on its way out.
type Record struct {
	// Line is the canonical event JSON followed by '\n'. It aliases the
	// worker's buffer: a sink must copy what it keeps after Deliver returns.
	Line []byte
	// Meta is the decoder's meta; Meta.DedupKey aliases Line.
	Meta decoder.Meta
}

// JSON returns the canonical JSON without the trailing newline.
func (r Record) JSON() []byte {
	if n := len(r.Line); n > 0 && r.Line[n-1] == '\n' {
		return r.Line[:n-1]
	}
	return r.Line
}

// Sink takes events. Deliver returns nil only once the sink has durably
// accepted the record — the worker answers the vendor 200 and marks the
// dedup key seen only then. Implementations are safe for concurrent use.
type Sink interface {
	Deliver(ctx context.Context, r Record) error
	// Ready reports whether Deliver can currently succeed.
	Ready(ctx context.Context) error
	// Close flushes what the sink holds and releases it.
	Close(ctx context.Context) error
}

// PermanentError is a Deliver failure that no retry of the same event can
// fix — the event can never fit the sink, say. The worker answers it with
// Status and Code instead of 503 + Retry-After (which would have the vendor
// retry forever) and keeps the body as a dead letter: once the cause is
// fixed (a larger limit on the sink), `wxhook replay` delivers it. Any
// other error from Deliver is temporary.
type PermanentError struct {
	Status int          // HTTP status the worker answers with
	Code   decoder.Code // the answer's error code, and wxhook_rejects_total's
	Err    error
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// CodeTooLarge is the code of a PermanentError for an event larger than the
// sink can ever take (NATS: over the server's max_payload or the stream's
// max message size). It goes with StatusTooLarge, 422: not 413, which the
// worker keeps for a body it cannot decode and never dead-letters, while
// this event is kept for a replay once the sink's limit is raised.
const (
	CodeTooLarge   decoder.Code = "sink_too_large"
	StatusTooLarge int          = 422 // http.StatusUnprocessableEntity
)

// Writer writes each record as one line to an io.Writer, one write per
// record under a lock, so lines never interleave. Standard output is a
// Writer: the event is "handed on" once the write to the pipe succeeded.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

// NewWriter returns a sink writing NDJSON to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Stdout returns the NDJSON sink on standard output.
func Stdout() *Writer { return NewWriter(os.Stdout) }

// ErrClosed is returned by Deliver after Close.
var ErrClosed = errors.New("sink: closed")

// Deliver implements Sink.
func (s *Writer) Deliver(_ context.Context, r Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	_, err := s.w.Write(r.Line)
	return err
}

// Ready implements Sink.
func (s *Writer) Ready(context.Context) error { return nil }

// Close implements Sink; it does not close the underlying writer.
func (s *Writer) Close(context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// File appends NDJSON lines to a file.
//
// fsync policy (--fsync): "interval" (default) fsyncs once a second in the
// background — an acknowledged event survives a crash of the worker (it is
// in the kernel's page cache) and at most the last second is lost on a power
// failure; "always" fsyncs before acknowledging, with group commit so
// concurrent requests share one fsync; "never" leaves it to the kernel.
type File struct{ log *appendlog.File }

// OpenFile opens path for appending with the fsync policy named by fsync:
// "interval" (or ""), "always" or "never".
func OpenFile(path, fsync string) (*File, error) {
	policy, ok := appendlog.ParsePolicy(fsync)
	if !ok {
		return nil, fmt.Errorf("sink: fsync policy %q: want interval, always or never", fsync)
	}
	l, err := appendlog.Open(path, policy, time.Second)
	if err != nil {
		return nil, err
	}
	return &File{log: l}, nil
}

// Deliver implements Sink.
func (s *File) Deliver(_ context.Context, r Record) error {
	_, err := s.log.Append(r.Line)
	return err
}

// Ready implements Sink.
func (s *File) Ready(context.Context) error { return nil }

// Close implements Sink: a final fsync and close.
func (s *File) Close(context.Context) error { return s.log.Close() }
