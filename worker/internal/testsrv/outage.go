package testsrv

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// PausableRedis is a real redis-server (Redis) a test can make unresponsive,
// to play an outage.
type PausableRedis struct {
	// URL is for the store under test: it gives up on a command after
	// 200 ms and does not retry it, so a pause of a second or two is an
	// outage to it.
	URL string
	// Admin waits out any pause: for pausing, and for reading what the
	// store wrote.
	Admin *redis.Client
}

// StartPausableRedis starts redis-server as Redis does (skipping the test
// if it is not installed).
func StartPausableRedis(t testing.TB) *PausableRedis {
	t.Helper()
	url := Redis(t)
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	o.ReadTimeout = 10 * time.Second
	admin := redis.NewClient(o)
	t.Cleanup(func() { admin.Close() })
	return &PausableRedis{URL: url + "?read_timeout=200ms&write_timeout=200ms&max_retries=-1", Admin: admin}
}

// Pause makes Redis answer no client for d (CLIENT PAUSE … ALL): commands
// wait, as they would for a Redis that hangs or fails over.
func (r *PausableRedis) Pause(t testing.TB, d time.Duration) {
	t.Helper()
	if err := r.Admin.Do(context.Background(), "CLIENT", "PAUSE", strconv.FormatInt(d.Milliseconds(), 10), "ALL").Err(); err != nil {
		t.Fatal(err)
	}
}

// WaitBack returns once Redis answers again.
func (r *PausableRedis) WaitBack(t testing.TB) {
	t.Helper()
	if err := r.Admin.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}
