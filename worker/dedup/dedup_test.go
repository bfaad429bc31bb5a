package dedup

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxhook/wxhook/worker/internal/testsrv"
)

var ctx = context.Background()

func must(t *testing.T, st State, err error, want State) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if st != want {
		t.Fatalf("state %v, want %v", st, want)
	}
}

// protocol checks reserve → deliver → commit/release on any store.
func protocol(t *testing.T, s Store) {
	k := []byte("eyun:wxid_a:769189154845429899:1619157348")
	st, c, err := s.Reserve(ctx, k)
	must(t, st, err, Reserved)
	if c.IsZero() {
		t.Fatal("Reserved with no claim")
	}
	st, c2, err := s.Reserve(ctx, k)
	must(t, st, err, InFlight)
	if !c2.IsZero() {
		t.Fatalf("InFlight with claim %v", c2)
	}
	// Delivery failed: the retry must be delivered, not dropped.
	if err := s.Release(ctx, k, c); err != nil {
		t.Fatal(err)
	}
	st, c, err = s.Reserve(ctx, k)
	must(t, st, err, Reserved)
	if err := s.Commit(ctx, k, c); err != nil {
		t.Fatal(err)
	}
	st, _, err = s.Reserve(ctx, k)
	must(t, st, err, Duplicate)
	// Release of a committed key must not forget it.
	if err := s.Release(ctx, k, c); err != nil {
		t.Fatal(err)
	}
	st, _, err = s.Reserve(ctx, k)
	must(t, st, err, Duplicate)

	// Concurrent reservations of one key: exactly one wins.
	k2 := []byte("dll:1:2")
	var mu sync.Mutex
	won := 0
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _, err := s.Reserve(ctx, k2)
			if err == nil && st == Reserved {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d concurrent reservations won, want 1", won)
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestLocalProtocol(t *testing.T) {
	s, err := OpenLocal(filepath.Join(t.TempDir(), "d.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	protocol(t, s)
}

func TestLocalPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenLocal(path, Options{FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		k := fmt.Appendf(nil, "k%d", i)
		_, c, _ := s.Reserve(ctx, k)
		if i%2 == 1 {
			c = Claim{} // committed with no claim: the key is hashed again
		}
		s.Commit(ctx, k, c)
	}
	s.Reserve(ctx, []byte("inflight")) // claims are not persisted
	if err := s.Close(); err != nil {  // Close flushes
		t.Fatal(err)
	}
	s, err = OpenLocal(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 100 {
		t.Fatalf("reloaded %d keys, want 100", s.Len())
	}
	for _, k := range []string{"k42", "k43"} { // committed with a claim, without
		st, _, err := s.Reserve(ctx, []byte(k))
		must(t, st, err, Duplicate)
	}
	st, _, err := s.Reserve(ctx, []byte("inflight"))
	must(t, st, err, Reserved)
}

func TestLocalFlushesInBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenLocal(path, Options{FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Reserve(ctx, []byte("a"))
	s.Commit(ctx, []byte("a"), Claim{})
	// Read the file as a restart would, while s still runs: bbolt's lock
	// forbids a second open, so check the pending list instead. Nothing
	// but the background flush empties it; the deadline is generous
	// because a loaded machine's fsync can take many intervals.
	pending := -1
	for deadline := time.Now().Add(5 * time.Second); pending != 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s.mu.Lock()
		pending = len(s.pending)
		s.mu.Unlock()
	}
	s.Close()
	if pending != 0 {
		t.Fatalf("%d keys not flushed after 5 s of 10 ms intervals", pending)
	}
}

func TestLocalTTLAndBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenLocal(path, Options{TTL: 50 * time.Millisecond, MaxKeys: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		k := fmt.Appendf(nil, "k%d", i)
		s.Reserve(ctx, k)
		s.Commit(ctx, k, Claim{})
	}
	if s.Len() != 10 {
		t.Fatalf("%d keys kept, want the bound 10", s.Len())
	}
	st, _, err := s.Reserve(ctx, []byte("k0")) // evicted: oldest
	must(t, st, err, Reserved)
	st, _, err = s.Reserve(ctx, []byte("k24"))
	must(t, st, err, Duplicate)
	time.Sleep(80 * time.Millisecond)
	st, _, err = s.Reserve(ctx, []byte("k24")) // expired
	must(t, st, err, Reserved)
	s.Close()
	s, err = OpenLocal(path, Options{TTL: 50 * time.Millisecond, MaxKeys: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 0 {
		t.Fatalf("expired keys reloaded: %d", s.Len())
	}
}

func TestLocalLeaseExpires(t *testing.T) {
	s, err := OpenLocal(filepath.Join(t.TempDir(), "d.db"), Options{Lease: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Reserve(ctx, []byte("a"))
	time.Sleep(40 * time.Millisecond)
	st, _, err := s.Reserve(ctx, []byte("a"))
	must(t, st, err, Reserved)
}

// fakeClock is a Local clock whose wall and monotonic readings the test
// moves independently, as NTP stepping the wall clock does.
type fakeClock struct {
	mu         sync.Mutex
	wall, mono int64
}

func (c *fakeClock) read() (int64, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall, c.mono
}

func (c *fakeClock) step(wall, mono time.Duration) {
	c.mu.Lock()
	c.wall += int64(wall)
	c.mono += int64(mono)
	c.mu.Unlock()
}

// useClock makes s read c, under s.mu so the background flusher sees it too.
func useClock(s *Local, c *fakeClock) {
	s.mu.Lock()
	s.clock = c.read
	s.mu.Unlock()
}

// TestLocalLeasesFollowTheMonotonicClock: a claim's lease ends by elapsed
// time only. A wall clock stepped far ahead (an NTP correction, a suspended
// VM) must not hand a key whose first delivery is still running to a retry —
// that would deliver the event twice — while committed keys, whose expiries
// are persisted as wall-clock times, do follow the wall clock.
func TestLocalLeasesFollowTheMonotonicClock(t *testing.T) {
	const lease, ttl = time.Minute, time.Hour
	s, err := OpenLocal(filepath.Join(t.TempDir(), "d.db"), Options{Lease: lease, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &fakeClock{wall: time.Now().UnixNano(), mono: 1}
	useClock(s, c)

	st, _, err := s.Reserve(ctx, []byte("delivering"))
	must(t, st, err, Reserved)
	if err := s.Commit(ctx, []byte("done"), Claim{}); err != nil {
		t.Fatal(err)
	}

	// The wall clock jumps two hours ahead; hardly any time passes.
	c.step(2*time.Hour, time.Second)
	st, _, err = s.Reserve(ctx, []byte("delivering"))
	must(t, st, err, InFlight)
	// The committed key's TTL is over by the wall clock: a replay now is a
	// new event, as after any expiry.
	st, _, err = s.Reserve(ctx, []byte("done"))
	must(t, st, err, Reserved)

	// The lease runs out by elapsed time, whatever the wall clock says —
	// here it even went back.
	c.step(-3*time.Hour, lease)
	st, _, err = s.Reserve(ctx, []byte("delivering"))
	must(t, st, err, Reserved)
}

// endLease makes key's claim in s expire now, as if its lease had run out
// while the holder was still delivering (only that claim: the store's own
// lease stays long, so the rest of a test does not race the clock).
func endLease(t *testing.T, s *Local, key string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := hashKey([]byte(key))
	c, ok := s.claims[k]
	if !ok {
		t.Fatalf("%s is not claimed", key)
	}
	_, now := s.clock()
	c.exp = now - 1
	s.claims[k] = c
}

// openClaims is the number of claims s holds in memory, lease ended or not.
func openClaims(s *Local) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.claims)
}

// staleClaims checks that a claim only acts on the key while it holds it.
// Requests A (the first holder) run on a, B and the later ones on b: one
// store for two requests on one worker, two for two replicas. endLease
// makes key's current claim run out now. Keys start with prefix.
func staleClaims(t *testing.T, a, b Store, prefix string, endLease func(key string)) {
	res := func(s Store, key string, want State) Claim {
		t.Helper()
		st, c, err := s.Reserve(ctx, []byte(prefix+key))
		must(t, st, err, want)
		if c.IsZero() != (want != Reserved) {
			t.Fatalf("Reserve(%s) = %v with claim %v", key, st, c)
		}
		return c
	}
	rel := func(s Store, key string, c Claim) {
		t.Helper()
		if err := s.Release(ctx, []byte(prefix+key), c); err != nil {
			t.Fatal(err)
		}
	}
	commit := func(s Store, key string) {
		t.Helper()
		if err := s.Commit(ctx, []byte(prefix+key), Claim{}); err != nil {
			t.Fatal(err)
		}
	}
	end := func(key string) { endLease(prefix + key) }

	// A's lease ends, B claims, A fails and releases: B keeps the key, a
	// retry (C) must wait for B.
	cA := res(a, "k", Reserved)
	end("k")
	cB := res(b, "k", Reserved)
	if cA == cB {
		t.Fatal("two claims on one key are equal")
	}
	rel(a, "k", cA)
	res(b, "k", InFlight)
	commit(b, "k")
	res(b, "k", Duplicate)
	rel(b, "k", cB) // a late Release never forgets a committed key
	res(b, "k", Duplicate)

	// B fails first: its own claim goes, so the retry C is delivered (A's
	// lease ended: the key is no longer A's). A's Release, coming after,
	// must not free the key under C.
	cA = res(a, "j", Reserved)
	end("j")
	cB = res(b, "j", Reserved)
	rel(b, "j", cB)
	cC := res(b, "j", Reserved)
	rel(a, "j", cA)
	res(b, "j", InFlight)
	rel(b, "j", cC)
	res(b, "j", Reserved)

	// Two takeovers: only the last claim frees the key.
	cA = res(a, "i", Reserved)
	end("i")
	cB = res(b, "i", Reserved)
	end("i")
	cC = res(b, "i", Reserved)
	rel(a, "i", cA)
	rel(b, "i", cB)
	res(b, "i", InFlight)
	rel(b, "i", cC)
	res(b, "i", Reserved)

	// A claim that ran out with no one taking over is still released.
	cA = res(a, "h", Reserved)
	end("h")
	rel(a, "h", cA)
	res(b, "h", Reserved)

	// A stale Commit commits (A did deliver): B's Release afterwards does
	// not undo it, B's Commit is harmless.
	res(a, "g", Reserved)
	end("g")
	cB = res(b, "g", Reserved)
	commit(a, "g")
	res(b, "g", Duplicate)
	rel(b, "g", cB)
	res(b, "g", Duplicate)
	commit(b, "g")
	res(b, "g", Duplicate)

	// No claim releases nothing; nor does a claim on another key.
	cA = res(a, "f", Reserved)
	rel(a, "f", Claim{})
	res(b, "f", InFlight)
	rel(a, "f", res(a, "e", Reserved))
	res(b, "f", InFlight)
	rel(a, "f", cA)
	res(b, "f", Reserved)
}

func TestLocalStaleReleaseKeepsNewClaim(t *testing.T) {
	s, err := OpenLocal(filepath.Join(t.TempDir(), "d.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	staleClaims(t, s, s, "", func(key string) { endLease(t, s, key) })
}

// The same with a real (short) lease instead of endLease.
func TestLocalStaleReleaseAfterLease(t *testing.T) {
	const lease = 100 * time.Millisecond
	s, err := OpenLocal(filepath.Join(t.TempDir(), "d.db"), Options{Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	staleReleaseAfterLease(t, s, s, lease)
}

// staleReleaseAfterLease: A (on a) outlives its lease, B (on b) claims the
// key, A releases: C must still find B's claim.
func staleReleaseAfterLease(t *testing.T, a, b Store, lease time.Duration) {
	k := []byte("eyun:wxid_a:1:2")
	st, cA, err := a.Reserve(ctx, k)
	must(t, st, err, Reserved)
	time.Sleep(lease + 20*time.Millisecond)
	// B claims; its lease ends after start+lease.
	start := time.Now()
	st, _, err = b.Reserve(ctx, k)
	must(t, st, err, Reserved)
	if err := a.Release(ctx, k, cA); err != nil {
		t.Fatal(err)
	}
	st, _, err = b.Reserve(ctx, k) // C
	if time.Since(start) >= lease {
		t.Skip("machine too slow: B's lease may have ended before C")
	}
	must(t, st, err, InFlight)
}

// Claims never closed (a request that panicked) must not stay in memory:
// once their lease has run out, the background flusher drops them.
func TestLocalExpiredClaimsAreSwept(t *testing.T) {
	s, err := OpenLocal(filepath.Join(t.TempDir(), "d.db"), Options{FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	claims := make([]Claim, 100)
	for i := range claims {
		st, c, err := s.Reserve(ctx, fmt.Appendf(nil, "leak-%d", i))
		must(t, st, err, Reserved)
		claims[i] = c
		endLease(t, s, fmt.Sprintf("leak-%d", i))
	}
	st, _, err := s.Reserve(ctx, []byte("live")) // lease not ended: kept
	must(t, st, err, Reserved)
	for deadline := time.Now().Add(5 * time.Second); openClaims(s) != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("%d claims still held, want only the live one", openClaims(s))
		}
		time.Sleep(10 * time.Millisecond)
	}
	st, _, err = s.Reserve(ctx, []byte("live"))
	must(t, st, err, InFlight)
	// A swept claim's holder comes back late: its Release finds nothing,
	// and leaves the key's new claim alone.
	st, _, err = s.Reserve(ctx, []byte("leak-0"))
	must(t, st, err, Reserved)
	if err := s.Release(ctx, []byte("leak-0"), claims[0]); err != nil {
		t.Fatal(err)
	}
	st, _, err = s.Reserve(ctx, []byte("leak-0"))
	must(t, st, err, InFlight)
}

func TestLocalSecondOpenFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenLocal(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := OpenLocal(path, Options{}); err == nil {
		t.Fatal("a second worker opened the same dedup file")
	}
}

func TestRedisProtocol(t *testing.T) {
	url := testsrv.Redis(t)
	s, err := Open(ctx, url, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	protocol(t, s)

	// Two replicas share one view; one cannot release the other's claim.
	s2, err := Open(ctx, url, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	k := []byte("wecom:x:y")
	st, c, err := s.Reserve(ctx, k)
	must(t, st, err, Reserved)
	st, _, err = s2.Reserve(ctx, k)
	must(t, st, err, InFlight)
	s2.Release(ctx, k, c) // the same claim number means another claim on s2
	st, _, err = s2.Reserve(ctx, k)
	must(t, st, err, InFlight)
	s.Commit(ctx, k, Claim{})
	st, _, err = s2.Reserve(ctx, k)
	must(t, st, err, Duplicate)
}

// redisLeaseEnder returns an endLease for the Redis store at url: a lease's
// end is the claim key's expiry, and an expired Redis key is a deleted one.
func redisLeaseEnder(t *testing.T, url string) func(key string) {
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return func(key string) {
		t.Helper()
		if n, err := c.Del(ctx, "wxhook:dedup:"+key).Result(); err != nil || n != 1 {
			t.Fatalf("%s: DEL = %d, %v", key, n, err)
		}
	}
}

func TestRedisStaleReleaseKeepsNewClaim(t *testing.T) {
	url := testsrv.Redis(t)
	s, err := OpenRedis(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s2, err := OpenRedis(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	end := redisLeaseEnder(t, url)
	// Both requests on one replica: the claims differ by their number.
	t.Run("one replica", func(t *testing.T) { staleClaims(t, s, s, "same:", end) })
	// One request on each replica.
	t.Run("two replicas", func(t *testing.T) { staleClaims(t, s, s2, "two:", end) })

	// What a claim looks like in Redis: unique per claim, on one replica too.
	_, c1, _ := s.Reserve(ctx, []byte("v1"))
	_, c2, _ := s.Reserve(ctx, []byte("v2"))
	v1, v2 := s.claimValue(c1), s.claimValue(c2)
	o, _ := redis.ParseURL(url)
	rc := redis.NewClient(o)
	defer rc.Close()
	if got, err := rc.Get(ctx, "wxhook:dedup:v1").Result(); err != nil || got != v1 {
		t.Fatalf("v1 holds %q (%v), want %q", got, err, v1)
	}
	if !regexp.MustCompile(`^inflight:[0-9a-f]{16}:[0-9]+$`).MatchString(v1) || v1 == v2 || v1[:26] != v2[:26] {
		t.Fatalf("claim values %q, %q", v1, v2)
	}

	// The release script is sent as EVALSHA, and as EVAL once Redis has
	// forgotten it.
	if err := rc.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, []byte("v1"), c1); err != nil {
		t.Fatal(err)
	}
	if n, err := rc.Exists(ctx, "wxhook:dedup:v1").Result(); err != nil || n != 0 {
		t.Fatalf("v1 still claimed after its Release (%d, %v)", n, err)
	}
}

// The same with a real (short) lease, both requests on one replica, then
// on two.
func TestRedisStaleReleaseAfterLease(t *testing.T) {
	const lease = 100 * time.Millisecond
	url := testsrv.Redis(t)
	s, err := OpenRedis(ctx, url, Options{Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s2, err := OpenRedis(ctx, url, Options{Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	t.Run("one replica", func(t *testing.T) { staleReleaseAfterLease(t, s, s, lease) })
	time.Sleep(lease + 20*time.Millisecond) // the key's last claim runs out
	t.Run("two replicas", func(t *testing.T) { staleReleaseAfterLease(t, s, s2, lease) })
}

func TestRedisTTL(t *testing.T) {
	s, err := Open(ctx, testsrv.Redis(t), "", Options{TTL: 100 * time.Millisecond, Lease: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Reserve(ctx, []byte("a"))
	s.Commit(ctx, []byte("a"), Claim{})
	s.Reserve(ctx, []byte("b")) // claim never committed: a crashed replica
	time.Sleep(250 * time.Millisecond)
	st, _, err := s.Reserve(ctx, []byte("a"))
	must(t, st, err, Reserved)
	st, _, err = s.Reserve(ctx, []byte("b"))
	must(t, st, err, Reserved)
}

func TestRedisDown(t *testing.T) {
	if _, err := Open(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", testsrv.FreePort(t)), "", Options{}); err == nil {
		t.Fatal("Open succeeded without a server")
	}
	if _, err := Open(ctx, "bogus://x", "", Options{}); err == nil {
		t.Fatal("unknown store accepted")
	}
}

// crash stops l like a kill -9 would: no final flush.
func crash(l *Local) {
	close(l.stop)
	<-l.done
	l.db.Close()
	l.journal.close()
}

func TestLocalSurvivesCrashBeforeFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenLocal(path, Options{FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s.Reserve(ctx, []byte("flushed"))
	s.Commit(ctx, []byte("flushed"), Claim{})
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		k := fmt.Appendf(nil, "journal-%d", i)
		s.Reserve(ctx, k)
		s.Commit(ctx, k, Claim{})
	}
	crash(s)
	// A torn record at the end of the journal, as a crash mid-write leaves.
	b, _ := os.ReadFile(path + ".journal")
	end := len(bytes.TrimRight(b, "\x00"))
	f, _ := os.OpenFile(path+".journal", os.O_WRONLY, 0)
	f.WriteAt([]byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 40, 'x'}, int64(end))
	f.Close()

	s, err = OpenLocal(path, Options{FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 51 {
		t.Fatalf("%d keys after the crash, want 51", s.Len())
	}
	for _, k := range []string{"flushed", "journal-0", "journal-49"} {
		st, _, err := s.Reserve(ctx, []byte(k))
		must(t, st, err, Duplicate)
	}
	// The journal's keys reach bbolt on the next flush and the journal empties.
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path + ".journal"); len(bytes.Trim(b, "\x00")) != 0 {
		t.Fatalf("journal holds records after a flush: %q", bytes.Trim(b, "\x00"))
	}
	crash(s)
	s, err = OpenLocal(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 51 {
		t.Fatalf("%d keys after the second crash, want 51", s.Len())
	}
}
