// Package forward is the sink that POSTs each event's canonical JSON to the
// bot's own HTTP endpoint, through an on-disk spool: Deliver returns once the
// event is fsynced in the spool (that is when the vendor gets its 200), and a
// sender forwards the spool, retrying with exponential backoff and jitter,
// so events survive a restart of the worker and any outage of the
// downstream.
//
// Order and concurrency: by default one POST is in flight at a time, in
// spool order, so the bot sees events in the order they were accepted.
// That caps delivery at one event per round trip: a bot endpoint taking
// 200 ms gets 5 events a second, however many arrive. With
// Options.Concurrency N up to N POSTs are in flight and events may arrive
// out of order. Either way the spool's cursor only moves over a prefix of
// events that are all finished (delivered, or set aside as refused), and
// the sender reads at most N events past it. After a crash those — at most
// N, some perhaps delivered already, behind an earlier one still being
// retried — are sent again, and nothing is lost. An event that keeps
// failing holds the cursor, and with it the sender: at most N-1 events
// after it are sent until it is finished.
//
// Each POST carries Content-Type application/json and X-Wxhook-Dedup-Key, so
// the downstream can drop the rare second delivery that at-least-once
// forwarding allows (an event whose acknowledgement was lost in a crash).
//
// Answers: 2xx is delivered; 3xx, 408, 425, 429 and 5xx and network errors
// are retried forever (the spool holds the event); any other 4xx is a permanent
// refusal — the record is appended to rejected.ndjson in the data directory
// (with the status) and the queue moves on, so one bad event cannot block
// all the others.
//
// Redirects are never followed: a client that follows a 302 turns the POST
// into a body-less GET, and the 200 of whatever page it lands on (a login
// page, a load balancer's error page) would count as a delivery. A 3xx is a
// failure to deliver like a 503 — retried with backoff and logged with its
// Location, so the operator can fix the URL — and the event stays spooled.
package forward

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/wxhook/wxhook/worker/internal/appendlog"
	"github.com/wxhook/wxhook/worker/sink"
	"github.com/wxhook/wxhook/worker/spool"
)

// Options tune the sink. Zero values take the defaults.
type Options struct {
	// Timeout bounds one POST (default 10s).
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the retry delay, which doubles per
	// failed attempt (defaults 200ms and 30s); the delay actually slept is
	// drawn uniformly from [d/2, d] so many workers do not retry in step.
	MinBackoff, MaxBackoff time.Duration
	// Client is the HTTP client (default: one with Timeout that keeps a
	// connection per sender).
	Client *http.Client
	// Logger receives delivery failures (default slog.Default()).
	Logger *slog.Logger
	// OnDelivered, if set, is called with each successful POST's latency.
	OnDelivered func(time.Duration)
	// Concurrency bounds the POSTs in flight (default 1: one at a time, in
	// spool order; above 1, events may arrive out of order). It also
	// bounds the events read past the spool's cursor, which are the ones a
	// crash sends again.
	Concurrency int
	// OnSpooled, if set, is called by Open with the dedup key of every
	// event still in the spool from a previous run. Those events were
	// accepted (answered 200, or about to be when the process died), so
	// the caller marks their keys seen: a vendor retry of an event that
	// was in flight at a crash is then a duplicate, not a second delivery.
	OnSpooled func(key []byte)
}

// Sink is the HTTP forward sink.
type Sink struct {
	url      string
	opt      Options
	spool    *spool.Spool
	rejected *appendlog.File

	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	lastErr error
}

// Open opens the spool under dataDir/spool and starts forwarding to url.
func Open(url, dataDir string, opt Options) (*Sink, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 200 * time.Millisecond
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 30 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Concurrency < 1 {
		opt.Concurrency = 1
	}
	if opt.Client == nil {
		// Keep a connection per sender: the default transport keeps two
		// idle per host and would close and redial the rest every time.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = max(2, opt.Concurrency)
		opt.Client = &http.Client{Timeout: opt.Timeout, Transport: tr}
	} else {
		// A copy, so the caller's client is left as it is.
		c := *opt.Client
		opt.Client = &c
	}
	opt.Client.CheckRedirect = noRedirect
	sp, err := spool.OpenWith(filepath.Join(dataDir, "spool"), spool.Options{Logger: opt.Logger})
	if err != nil {
		return nil, err
	}
	if opt.OnSpooled != nil {
		err := sp.Each(func(p []byte) {
			if key, _, ok := splitRecord(p); ok && len(key) > 0 {
				opt.OnSpooled(key)
			}
		})
		if err != nil {
			sp.Close()
			return nil, err
		}
	}
	rej, err := appendlog.Open(filepath.Join(dataDir, "rejected.ndjson"), appendlog.SyncAlways, 0)
	if err != nil {
		sp.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sink{url: url, opt: opt, spool: sp, rejected: rej, cancel: cancel, done: make(chan struct{})}
	if opt.Concurrency == 1 {
		go s.run(ctx)
	} else {
		go s.runConcurrent(ctx)
	}
	return s, nil
}

var payloadPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Deliver implements sink.Sink: the record is durable once it returns nil.
// The spool record is [uint16 key length][dedup key][canonical JSON].
func (s *Sink) Deliver(_ context.Context, r sink.Record) error {
	key := r.Meta.DedupKey
	if len(key) > 0xffff {
		key = key[:0xffff]
	}
	bp := payloadPool.Get().(*[]byte)
	b := binary.BigEndian.AppendUint16((*bp)[:0], uint16(len(key)))
	b = append(b, key...)
	b = append(b, r.JSON()...)
	err := s.spool.Append(b)
	*bp = b
	payloadPool.Put(bp)
	return err
}

func splitRecord(p []byte) (key, body []byte, ok bool) {
	if len(p) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(p))
	if len(p) < 2+n {
		return nil, nil, false
	}
	return p[2 : 2+n], p[2+n:], true
}

// Backlog returns the number of spooled events not yet forwarded.
func (s *Sink) Backlog() int64 { return s.spool.Backlog() }

// Quarantined returns how many damaged byte ranges the spool has moved to
// spool/quarantine.ndjson since Open (see package spool).
func (s *Sink) Quarantined() int64 { return s.spool.Quarantined() }

// Ready implements sink.Sink. The sink accepts events while the downstream
// is down (that is what the spool is for), so it is ready whenever the spool
// is open.
func (s *Sink) Ready(context.Context) error {
	select {
	case <-s.done:
		return errors.New("forward: sink stopped")
	default:
		return nil
	}
}

// LastError returns the last delivery failure (nil after a success).
func (s *Sink) LastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

func (s *Sink) setErr(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

// run is the sender with Concurrency 1: one record at a time, in spool
// order, straight from the spool's buffer.
func (s *Sink) run(ctx context.Context) {
	defer close(s.done)
	for {
		rec, err := s.spool.Next(ctx)
		if err != nil {
			return // context cancelled or spool closed
		}
		if !s.finish(ctx, rec) {
			return // stopping: the record stays spooled
		}
		s.ack()
	}
}

// slot holds one record read ahead of the spool's cursor with
// Concurrency > 1. Its buffer is reused from record to record, so the
// sender copies without allocating once the slots have grown to the usual
// event size.
type slot struct {
	rec  []byte // a copy: the spool's buffer is reused by the next Next
	done bool   // finished (delivered or set aside), not yet acknowledged
}

// maxKeptRecord is the largest buffer a slot keeps between records: a
// rare huge event should not pin its size in memory for the life of the
// process, Concurrency times over.
const maxKeptRecord = 1 << 20

// runConcurrent is the sender with Concurrency > 1: this goroutine reads
// the spool into a ring of Concurrency slots and hands each record to one
// of Concurrency workers. A slot is freed only when the spool's cursor has
// moved past its record — when it and every record before it are finished
// — so the records read ahead of the cursor, which a crash would send
// again, never exceed Concurrency, even while an early record keeps
// failing behind later ones that succeed. Records are acknowledged in
// spool order by whichever worker finishes the oldest one.
//
// It returns, closing s.done, only after every worker has stopped.
func (s *Sink) runConcurrent(ctx context.Context) {
	defer close(s.done)
	n := uint64(s.opt.Concurrency)
	var (
		ring = make([]slot, n) // record seq is in ring[seq%n]
		// inUse holds a token per slot read and not yet acknowledged. The
		// reader puts one in before it reads; whoever acknowledges the
		// record takes it out, which is also what hands the slot (and its
		// buffer) back to the reader.
		inUse = make(chan struct{}, n)
		work  = make(chan uint64) // seq of a record to finish
		mu    sync.Mutex          // guards head and the slots' done flags
		head  uint64              // oldest record read and not acknowledged
		wg    sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			for seq := range work {
				sl := &ring[seq%n]
				if !s.finish(ctx, sl.rec) {
					continue // stopping: the record stays spooled
				}
				if cap(sl.rec) > maxKeptRecord {
					sl.rec = nil
				}
				mu.Lock()
				sl.done = true
				// The slot at head is either the oldest record read or
				// empty (done is cleared on acknowledgement), so this
				// stops at the first unfinished record or at the end.
				for h := &ring[head%n]; h.done; h = &ring[head%n] {
					h.done = false
					s.ack()
					head++
					<-inUse
				}
				mu.Unlock()
			}
		})
	}
	defer func() {
		close(work)
		wg.Wait()
	}()
	for seq := uint64(0); ; seq++ {
		select {
		case inUse <- struct{}{}:
		case <-ctx.Done():
			return
		}
		rec, err := s.spool.Next(ctx)
		if err != nil {
			return // context cancelled or spool closed
		}
		// The slot is free: its last record was acknowledged, and the
		// token that acknowledgement took out orders its worker's use of
		// the buffer before this write.
		sl := &ring[seq%n]
		sl.rec = append(sl.rec[:0], rec...)
		// A worker is free or about to be: at most n-1 other records are
		// unacknowledged, and each occupies at most one worker.
		select {
		case work <- seq:
		case <-ctx.Done():
			return
		}
	}
}

// finish delivers one spool record, retrying until it is delivered or
// permanently refused (then set aside in rejected.ndjson). It returns false
// if ctx ended first: the record is not finished and stays spooled.
func (s *Sink) finish(ctx context.Context, rec []byte) bool {
	key, body, ok := splitRecord(rec)
	if !ok {
		s.opt.Logger.Error("forward: damaged spool record skipped", "bytes", len(rec))
		return true
	}
	for attempt := 0; ; attempt++ {
		status, err := s.post(ctx, key, body)
		if err == nil {
			s.setErr(nil)
			return true
		}
		s.setErr(err)
		if ctx.Err() != nil {
			return false
		}
		if permanent(status) {
			s.reject(key, body, status)
			return true
		}
		if attempt == 0 || attempt%10 == 0 {
			if re := (*redirectError)(nil); errors.As(err, &re) {
				s.opt.Logger.Warn("forward: delivery failed, retrying", "dedup_key", string(key), "attempt", attempt+1, "status", status, "location", re.location, "err", err)
			} else {
				s.opt.Logger.Warn("forward: delivery failed, retrying", "dedup_key", string(key), "attempt", attempt+1, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(s.backoff(attempt)):
		}
	}
}

// ack moves the spool's cursor past the oldest record in flight.
func (s *Sink) ack() {
	if err := s.spool.Ack(); err != nil {
		s.opt.Logger.Error("forward: spool cursor", "err", err)
	}
}

// backoff is the delay before retry attempt+1: min·2^attempt capped at max,
// with "equal jitter" (uniform in [d/2, d]).
func (s *Sink) backoff(attempt int) time.Duration {
	d := s.opt.MaxBackoff
	if attempt < 30 {
		if e := s.opt.MinBackoff << attempt; e > 0 && e < d {
			d = e
		}
	}
	return d/2 + rand.N(d/2+1)
}

// noRedirect makes the client return a 3xx answer as it is (see the
// package doc).
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// redirectError is a 3xx answer: not a delivery.
type redirectError struct {
	url, status, location string
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("forward: %s answered %s redirecting to %q; redirects are not followed (fix the sink URL)", e.url, e.status, e.location)
}

func permanent(status int) bool {
	return status >= 400 && status < 500 && status != http.StatusRequestTimeout &&
		status != http.StatusTooEarly && status != http.StatusTooManyRequests
}

func (s *Sink) post(ctx context.Context, key, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Wxhook-Dedup-Key", string(key))
	start := time.Now()
	resp, err := s.opt.Client.Do(req)
	if err != nil {
		return 0, err
	}
	// Drain a little so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 == 3 {
		return resp.StatusCode, &redirectError{url: s.url, status: resp.Status, location: resp.Header.Get("Location")}
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("forward: %s answered %s", s.url, resp.Status)
	}
	if s.opt.OnDelivered != nil {
		s.opt.OnDelivered(time.Since(start))
	}
	return resp.StatusCode, nil
}

func (s *Sink) reject(key, body []byte, status int) {
	s.opt.Logger.Error("forward: downstream refused event permanently; kept in rejected.ndjson", "dedup_key", string(key), "status", status)
	line := make([]byte, 0, len(body)+64)
	line = append(line, `{"status":`...)
	line = strconv.AppendInt(line, int64(status), 10)
	line = append(line, `,"event":`...)
	line = append(line, body...)
	line = append(line, "}\n"...)
	if _, err := s.rejected.Append(line); err != nil {
		s.opt.Logger.Error("forward: rejected.ndjson", "err", err)
	}
}

// Close stops the senders once the spool is empty, the downstream is
// failing or ctx is done (whatever is left is forwarded after the next
// start), and closes the spool. A downstream outage thus does not stretch a
// shutdown to its deadline. POSTs still in flight are cancelled; Close
// returns after every sender goroutine has stopped, so none of them can
// touch the spool once it is closed.
func (s *Sink) Close(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for s.spool.Backlog() > 0 && s.LastError() == nil {
		select {
		case <-ctx.Done():
			goto stop
		case <-s.done:
			goto stop
		case <-t.C:
		}
	}
stop:
	s.cancel()
	<-s.done
	err := s.spool.Close()
	if cerr := s.rejected.Close(); err == nil {
		err = cerr
	}
	return err
}
