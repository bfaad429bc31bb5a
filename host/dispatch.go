package host

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/wxhook/wxhook/decoder"
)

// Dispatcher runs an engine's decodes on a fixed number of long-lived
// goroutines instead of on each caller's.
//
// Decodes queued while a dispatcher goroutine is busy run back to back on
// one warm instance. Why that pays under load: RATIONALE.md ("The
// Dispatcher"); what it measured: docs/BENCHMARKS.md.
//
// The price is a hand-off per call (two goroutine switches) and a copy of
// the body and of the output, each a few hundred bytes for a typical
// callback: nothing next to a guest call, but a direct call is cheaper when
// callers do not compete with other work, so Dispatcher is an opt-in
// wrapper (wxhook serve uses it), not a mode of Engine.
//
// A caller whose context ends while its decode waits or runs returns at
// once with the context's error, like a detached call: the body was copied
// when the call was queued, and the output is copied into the caller's dst
// only by the caller, so an abandoned decode never touches the caller's
// memory. It still runs to its end if it had started.
type Dispatcher struct {
	inner decoder.Engine
	jobs  chan *job
	jobMu sync.RWMutex // held for reading by senders; Close takes it to close jobs
	done  bool         // guarded by jobMu
	wg    sync.WaitGroup
	pool  sync.Pool // *job
}

// job is one queued decode. Its buffers are reused through the pool.
type job struct {
	ctx     context.Context
	src     []byte // the caller's body, copied
	dialect decoder.Dialect
	out     []byte // the result: canonical JSON
	key     int    // DedupKey's offset in out, or -1 for none
	account int    // Account's offset in out, or -1 for none
	meta    decoder.Meta
	err     error
	ready   chan struct{} // receives once the result is in

	mu        sync.Mutex
	abandoned bool // the caller gave up: the dispatcher recycles the job
	finished  bool // the result is in: the caller takes it
}

// maxPooledJob keeps the buffers of a rare huge body out of the pool.
const maxPooledJob = 1 << 20

// NewDispatcher returns a Dispatcher running e's decodes on workers
// goroutines (at least 1). Close closes e.
func NewDispatcher(e decoder.Engine, workers int) *Dispatcher {
	workers = max(workers, 1)
	d := &Dispatcher{inner: e, jobs: make(chan *job, 4*workers)}
	for range workers {
		d.wg.Add(1)
		go d.work()
	}
	return d
}

func (d *Dispatcher) work() {
	defer d.wg.Done()
	for j := range d.jobs {
		j.mu.Lock()
		skip := j.abandoned
		j.mu.Unlock()
		if skip { // the caller left before its turn came
			d.recycle(j)
			continue
		}
		out, meta, err := d.decode(j)
		j.out, j.meta, j.err, j.key, j.account = out, meta, err, -1, -1
		// DedupKey and Account alias out; the caller re-slices them into
		// its own copy, so keep where they start.
		if len(meta.DedupKey) > 0 {
			j.key = offsetIn(out, meta.DedupKey)
		}
		if len(meta.Account) > 0 {
			j.account = offsetIn(out, meta.Account)
		}
		j.mu.Lock()
		if j.abandoned {
			j.mu.Unlock()
			d.recycle(j)
			continue
		}
		j.finished = true
		j.mu.Unlock()
		j.ready <- struct{}{}
	}
}

// decode runs one job on the wrapped engine. A panic there becomes the
// job's internal error: on the caller's goroutine net/http would have
// recovered it, and on a dispatcher it must not take the process down.
func (d *Dispatcher) decode(j *job) (out []byte, meta decoder.Meta, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, meta, err = j.out[:0], decoder.Meta{}, internalError(j.dialect, fmt.Errorf("panic in the engine: %v", p))
		}
	}()
	return d.inner.AppendDecode(j.ctx, j.out[:0], j.src, j.dialect)
}

var errDispatcherClosed = errors.New("host: dispatcher closed")

// AppendDecode implements decoder.Engine: it appends the canonical JSON of
// src to dst, exactly as the wrapped engine does.
func (d *Dispatcher) AppendDecode(ctx context.Context, dst, src []byte, dialect decoder.Dialect) ([]byte, decoder.Meta, error) {
	if err := ctx.Err(); err != nil {
		return dst, decoder.Meta{}, internalError(dialect, err)
	}
	j, _ := d.pool.Get().(*job)
	if j == nil {
		j = &job{ready: make(chan struct{}, 1)}
	}
	j.ctx, j.src, j.dialect = ctx, append(j.src[:0], src...), dialect
	d.jobMu.RLock()
	if d.done {
		d.jobMu.RUnlock()
		d.recycle(j)
		return dst, decoder.Meta{}, internalError(dialect, errDispatcherClosed)
	}
	select {
	case d.jobs <- j:
		d.jobMu.RUnlock()
	case <-ctx.Done():
		d.jobMu.RUnlock()
		d.recycle(j)
		return dst, decoder.Meta{}, internalError(dialect, ctx.Err())
	}
	select {
	case <-j.ready:
	case <-ctx.Done():
		j.mu.Lock()
		if !j.finished {
			j.abandoned = true // the dispatcher recycles it
			j.mu.Unlock()
			return dst, decoder.Meta{}, internalError(dialect, ctx.Err())
		}
		j.mu.Unlock()
		<-j.ready // finished just now: take the result after all
	}
	meta, err := j.meta, j.err
	if err == nil {
		start := len(dst)
		dst = append(dst, j.out...)
		if j.key >= 0 {
			n := len(meta.DedupKey)
			meta.DedupKey = dst[start+j.key : start+j.key+n : start+j.key+n]
		}
		if j.account >= 0 {
			n := len(meta.Account)
			meta.Account = dst[start+j.account : start+j.account+n : start+j.account+n]
		}
	}
	d.recycle(j)
	return dst, meta, err
}

// offsetIn is where part, a subslice of out, starts inside it.
func offsetIn(out, part []byte) int {
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(part))) - uintptr(unsafe.Pointer(unsafe.SliceData(out))))
}

// recycle clears a job the caller no longer reads and pools it.
func (d *Dispatcher) recycle(j *job) {
	if cap(j.src) > maxPooledJob || cap(j.out) > maxPooledJob {
		return
	}
	*j = job{src: j.src[:0], out: j.out[:0], ready: j.ready}
	d.pool.Put(j)
}

// Close stops taking decodes, waits for the queued ones to finish, then
// closes the wrapped engine. If ctx ends first, Close returns its error and
// closes the engine at once, which (for Engine) lets running calls end and
// fails the ones still queued.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.jobMu.Lock()
	if !d.done {
		d.done = true
		close(d.jobs)
	}
	d.jobMu.Unlock()
	finished := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return d.inner.Close(ctx)
	case <-ctx.Done():
		return errors.Join(ctx.Err(), d.inner.Close(ctx))
	}
}
