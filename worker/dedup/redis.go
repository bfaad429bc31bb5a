package dedup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Redis is the store for several replicas: one key per dedup key, holding
// "done" once committed or "inflight:<replica>" while claimed, each with a
// TTL (PX) so Redis does the expiry and the bound is Redis's maxmemory.
type Redis struct {
	c      *redis.Client
	opt    Options
	prefix string
	claim  string // this replica's claim value
}

// reserveScript is GET-or-SET-NX-PX in one step, so two replicas racing on
// one key cannot both claim it and a claim holder learns nothing stale.
var reserveScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return '+'
`)

// releaseScript deletes the key only if it still holds this replica's claim:
// never a committed key, never another replica's claim.
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
	r := &Redis{c: redis.NewClient(o), opt: opt, prefix: "wxhook:dedup:", claim: "inflight:" + hex.EncodeToString(id[:])}
	if err := r.Ready(ctx); err != nil {
		r.c.Close()
		return nil, fmt.Errorf("dedup: redis: %w", err)
	}
	return r, nil
}

func (r *Redis) key(k []byte) string { return r.prefix + string(k) }

// Reserve implements Store.
func (r *Redis) Reserve(ctx context.Context, key []byte) (State, error) {
	v, err := reserveScript.Run(ctx, r.c, []string{r.key(key)}, r.claim, r.opt.Lease.Milliseconds()).Text()
	if err != nil {
		return 0, err
	}
	switch {
	case v == "+":
		return Reserved, nil
	case v == "done":
		return Duplicate, nil
	}
	return InFlight, nil
}

// Commit implements Store.
func (r *Redis) Commit(ctx context.Context, key []byte) error {
	return r.c.Set(ctx, r.key(key), "done", r.opt.TTL).Err()
}

// Release implements Store.
func (r *Redis) Release(ctx context.Context, key []byte) error {
	return releaseScript.Run(ctx, r.c, []string{r.key(key)}, r.claim).Err()
}

// Ready implements Store: a PING.
func (r *Redis) Ready(ctx context.Context) error { return r.c.Ping(ctx).Err() }

// Close implements Store.
func (r *Redis) Close() error { return r.c.Close() }
