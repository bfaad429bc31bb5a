package dedup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the store for several replicas: one key per dedup key, holding
// "done" once committed or "inflight:<replica>:<n>" while claimed, each with
// a TTL (PX) so Redis does the expiry and the bound is Redis's maxmemory.
//
// A claim's value is unique: <replica> is 64 random bits drawn by OpenRedis,
// <n> the Claim's number from this Redis's counter, so two requests on one
// replica hold different values as much as two replicas do. A lease's end is
// the key's expiry: the next Reserve sets a new value, and the stale
// holder's Release, comparing values, leaves it alone.
//
// A Commit that Redis does not answer (Redis down, paused, restarting) is not
// forgotten: the key is kept in memory and committed once Redis answers
// again, by a goroutine retrying with backoff, and a Reserve of that key on
// this replica meanwhile commits it first and finds it a Duplicate. The event
// was delivered; without this a later resend would be delivered again once
// the claim's lease ran out.
type Redis struct {
	c           *redis.Client
	opt         Options
	prefix      string
	claimPrefix string        // "inflight:<replica>:"
	lastClaim   atomic.Uint64 // number of the last claim handed out

	npending atomic.Int64 // len(pending), read without the lock on every Reserve
	mu       sync.Mutex
	pending  map[string]struct{} // committed keys Redis has not recorded yet
	retrying bool                // the retry goroutine runs
	closed   bool
	stop     chan struct{} // closed by Close: the retry goroutine ends
	done     sync.WaitGroup
}

// MaxPendingCommits bounds the keys a Redis store keeps to commit once
// Redis is back. Only requests that reserved a key before Redis went away
// can add one (a Reserve that fails refuses the callback), so the bound is
// never reached in practice; past it a commit's failure is reported as it
// is.
const MaxPendingCommits = 1 << 20

// Backoff between two attempts to record the pending commits.
const (
	pendingRetryMin = 50 * time.Millisecond
	pendingRetryMax = 2 * time.Second
)

// reserveScript is GET-or-SET-NX-PX in one step, so two replicas racing on
// one key cannot both claim it and a claim holder learns nothing stale.
var reserveScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return '+'
`)

// releaseScript deletes the key only if it still holds the caller's claim
// value: never a committed key, never another claim (of another replica, or
// of this one after the caller's lease ended). One script, so nothing can
// come between the comparison and the delete.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// OpenRedis connects to the Redis server named by url (redis://host:port/db).
func OpenRedis(ctx context.Context, url string, opt Options) (*Redis, error) {
	opt.defaults()
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("dedup: %w", err)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	r := &Redis{c: redis.NewClient(o), opt: opt, prefix: "wxhook:dedup:", claimPrefix: "inflight:" + hex.EncodeToString(id[:]) + ":",
		pending: map[string]struct{}{}, stop: make(chan struct{})}
	if err := r.Ready(ctx); err != nil {
		r.c.Close()
		return nil, fmt.Errorf("dedup: redis: %w", err)
	}
	return r, nil
}

func (r *Redis) key(k []byte) string { return r.prefix + string(k) }

func (r *Redis) claimValue(c Claim) string {
	return r.claimPrefix + strconv.FormatUint(c.n, 10)
}

// Reserve implements Store.
func (r *Redis) Reserve(ctx context.Context, key []byte) (State, Claim, error) {
	if r.npending.Load() > 0 && r.isPending(key) {
		// Delivered, but Redis did not take the commit: take it now.
		if err := r.commitPending(ctx, string(key)); err != nil {
			return 0, Claim{}, err
		}
		return Duplicate, Claim{}, nil
	}
	c := Claim{n: r.lastClaim.Add(1)}
	v, err := reserveScript.Run(ctx, r.c, []string{r.key(key)}, r.claimValue(c), r.opt.Lease.Milliseconds()).Text()
	if err != nil {
		return 0, Claim{}, err
	}
	switch {
	case v == "+":
		return Reserved, c, nil
	case v == "done":
		return Duplicate, Claim{}, nil
	}
	return InFlight, Claim{}, nil
}

// Commit implements Store: a plain SET, over whatever claim the key holds
// (see Store.Commit). If Redis does not answer, the key is kept and
// committed once it does (see Redis); the error says so.
func (r *Redis) Commit(ctx context.Context, key []byte, _ Claim) error {
	err := r.c.Set(ctx, r.key(key), "done", r.opt.TTL).Err()
	if err == nil {
		return nil
	}
	if !r.keep(string(key)) {
		return fmt.Errorf("dedup: redis: commit failed and %d commits already wait for Redis: %w", MaxPendingCommits, err)
	}
	return fmt.Errorf("dedup: redis: commit failed, kept to retry until Redis answers: %w", err)
}

func (r *Redis) isPending(key []byte) bool {
	r.mu.Lock()
	_, ok := r.pending[string(key)]
	r.mu.Unlock()
	return ok
}

// keep adds key to the pending commits and starts the retry goroutine. It
// reports false if the store is closed or the bound is reached.
func (r *Redis) keep(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || len(r.pending) >= MaxPendingCommits {
		return false
	}
	if _, ok := r.pending[key]; !ok {
		r.pending[key] = struct{}{}
		r.npending.Add(1)
	}
	if !r.retrying {
		r.retrying = true
		r.done.Add(1)
		go r.retryPending()
	}
	return true
}

// commitPending commits one pending key and forgets it once Redis took it.
func (r *Redis) commitPending(ctx context.Context, key string) error {
	if err := r.c.Set(ctx, r.key([]byte(key)), "done", r.opt.TTL).Err(); err != nil {
		return err
	}
	r.mu.Lock()
	if _, ok := r.pending[key]; ok {
		delete(r.pending, key)
		r.npending.Add(-1)
	}
	r.mu.Unlock()
	return nil
}

// flushPending tries once to commit every pending key, in pipelines of a
// thousand, and returns how many are left.
func (r *Redis) flushPending(ctx context.Context) (int, error) {
	r.mu.Lock()
	keys := make([]string, 0, len(r.pending))
	for k := range r.pending {
		keys = append(keys, k)
	}
	r.mu.Unlock()
	var firstErr error
	for len(keys) > 0 {
		batch := keys[:min(len(keys), 1000)]
		keys = keys[len(batch):]
		pipe := r.c.Pipeline()
		for _, k := range batch {
			pipe.Set(ctx, r.key([]byte(k)), "done", r.opt.TTL)
		}
		cmds, err := pipe.Exec(ctx)
		r.mu.Lock()
		for i, cmd := range cmds {
			if cmd.Err() != nil {
				continue
			}
			if _, ok := r.pending[batch[i]]; ok {
				delete(r.pending, batch[i])
				r.npending.Add(-1)
			}
		}
		r.mu.Unlock()
		if err != nil {
			firstErr = err
			break
		}
	}
	return int(r.npending.Load()), firstErr
}

// retryPending commits the pending keys until none is left or Close.
func (r *Redis) retryPending() {
	defer r.done.Done()
	wait := pendingRetryMin
	for {
		select {
		case <-r.stop:
			return
		case <-time.After(wait):
		}
		r.flushPending(context.Background())
		r.mu.Lock()
		if len(r.pending) == 0 {
			r.retrying = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		wait = min(2*wait, pendingRetryMax)
	}
}

// Pending returns the number of committed keys Redis has not recorded yet.
func (r *Redis) Pending() int { return int(r.npending.Load()) }

// Release implements Store: a compare-and-delete (script.Run sends EVALSHA,
// and EVAL if the server does not have the script yet).
func (r *Redis) Release(ctx context.Context, key []byte, c Claim) error {
	if c.IsZero() {
		return nil
	}
	return releaseScript.Run(ctx, r.c, []string{r.key(key)}, r.claimValue(c)).Err()
}

// Ready implements Store: a PING.
func (r *Redis) Ready(ctx context.Context) error { return r.c.Ping(ctx).Err() }

// Close implements Store. It goes on trying, for at most closeGrace, to
// record the pending commits, and reports the keys it could not.
func (r *Redis) Close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.stop)
	}
	r.mu.Unlock()
	r.done.Wait()
	var err error
	if r.npending.Load() > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
		left, ferr := r.flushPending(ctx)
		for left > 0 && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(pendingRetryMin):
				left, ferr = r.flushPending(ctx)
			}
		}
		cancel()
		if left > 0 {
			if ferr == nil {
				ferr = errors.New("Redis refused them")
			}
			err = fmt.Errorf("dedup: redis: %d committed keys could not be recorded (a resend of those events may be delivered again): %w", left, ferr)
		}
	}
	return errors.Join(err, r.c.Close())
}

// closeGrace bounds how long Close waits for Redis to take the pending
// commits.
const closeGrace = 5 * time.Second
