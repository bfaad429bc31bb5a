package dedup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"

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
type Redis struct {
	c           *redis.Client
	opt         Options
	prefix      string
	claimPrefix string        // "inflight:<replica>:"
	lastClaim   atomic.Uint64 // number of the last claim handed out
}

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
	r := &Redis{c: redis.NewClient(o), opt: opt, prefix: "wxhook:dedup:", claimPrefix: "inflight:" + hex.EncodeToString(id[:]) + ":"}
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
	c := Claim{r.lastClaim.Add(1)}
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
// (see Store.Commit).
func (r *Redis) Commit(ctx context.Context, key []byte) error {
	return r.c.Set(ctx, r.key(key), "done", r.opt.TTL).Err()
}

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

// Close implements Store.
func (r *Redis) Close() error { return r.c.Close() }
