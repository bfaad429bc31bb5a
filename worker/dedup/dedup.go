// Package dedup remembers which callbacks were already accepted, so that a
// vendor's retries and replays of one callback become one event downstream.
//
// A key goes through reserve → deliver → commit: Reserve claims it for one
// request, Commit marks it seen once the sink durably accepted the event,
// and Release drops the claim when delivery failed, so a key is only ever
// seen for an event that got through. The protocol (claims, leases, stale
// releases and commits) is specified in worker/README.md "De-duplication";
// the reason for it is in RATIONALE.md.
//
// Two stores implement it: Local (in memory, bounded, with a TTL, persisted
// in a bbolt file so a restart does not forget) for a single worker, and
// Redis (SET NX PX) for several replicas sharing one view.
package dedup

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// State is what Reserve found.
type State uint8

const (
	// Reserved: the key was free and is now claimed by the caller, who must
	// Commit or Release it.
	Reserved State = iota
	// InFlight: another request holds the claim and has not finished yet.
	InFlight
	// Duplicate: the key was committed: its event was already accepted.
	Duplicate
)

func (s State) String() string {
	switch s {
	case Reserved:
		return "reserved"
	case InFlight:
		return "in_flight"
	case Duplicate:
		return "duplicate"
	}
	return "unknown"
}

// Claim identifies one reservation of a key: Reserve returns a new one with
// Reserved, and Release acts only while the key is still held by that claim,
// so a holder that outlived its Options.Lease never frees a newer claim.
// It is a small comparable value; the zero Claim is no claim.
type Claim struct {
	n uint64
	// h is the Local store's hash of the claimed key, so that Commit and
	// Release with the claim need not hash the key again (SHA-256: about
	// as much CPU as the rest of Reserve and Commit together). Zero in the
	// other stores' claims.
	h hkey
}

// IsZero reports whether c is no claim.
func (c Claim) IsZero() bool { return c.n == 0 }

// Store is a de-duplication store. Implementations are safe for concurrent use.
type Store interface {
	// Reserve claims key unless it is committed or claimed by a claim whose
	// lease has not ended. With Reserved it returns the new claim, which the
	// caller passes to Commit or Release; otherwise the zero Claim.
	Reserve(ctx context.Context, key []byte) (State, Claim, error)
	// Commit marks key as seen for the store's TTL, whoever holds it. c is
	// the claim Reserve returned for key, or the zero Claim; it changes
	// nothing but the work (the Local store then need not hash key again):
	// a stale Commit (the caller's lease ended and another request claimed
	// the key since) commits too and does not disturb the newer holder, and
	// a key can be committed with no claim at all (events found in the
	// forward sink's spool at start-up). Why this is safe: worker/README.md
	// "De-duplication". A claim made for another key is a caller's bug.
	Commit(ctx context.Context, key []byte, c Claim) error
	// Release drops claim c on key if key is still held by c: a committed
	// key, a key claimed again after c's lease ended, or a key with no claim
	// is left as it is. A nil error does not say whether anything was
	// dropped.
	Release(ctx context.Context, key []byte, c Claim) error
	// Ready reports whether the store can answer.
	Ready(ctx context.Context) error
	// Close flushes and releases the store.
	Close() error
}

// Options tune a store. Zero values take the defaults.
type Options struct {
	// TTL is how long a committed key is remembered (default 24h: vendors
	// replay within hours, and Eyun asks receivers to de-duplicate replays).
	TTL time.Duration
	// Lease bounds how long a claim lives if its holder vanishes (a crashed
	// replica): after it the key can be claimed again, and the old claim's
	// Release no longer acts on the new one (default 2m, longer than any
	// request may take).
	Lease time.Duration
	// MaxKeys bounds the Local store (default 1,000,000 keys, ~110 MB with
	// its map and FIFO at the bound: keys are kept as 128-bit hashes).
	MaxKeys int
	// FlushInterval is how often Local moves new keys from its journal to
	// its bbolt file (default 1s).
	FlushInterval time.Duration
}

func (o *Options) defaults() {
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = 1_000_000
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = time.Second
	}
}

// Open returns the store named by spec: "memory" (or "") for Local with its
// file dedup.db in dataDir, "redis://…" / "rediss://…" for Redis, "off" for
// no de-duplication.
func Open(ctx context.Context, spec, dataDir string, opt Options) (Store, error) {
	switch {
	case spec == "" || spec == "memory" || spec == "embedded":
		return OpenLocal(filepath.Join(dataDir, "dedup.db"), opt)
	case spec == "off" || spec == "none":
		return Off{}, nil
	case strings.HasPrefix(spec, "redis://") || strings.HasPrefix(spec, "rediss://"):
		return OpenRedis(ctx, spec, opt)
	}
	return nil, fmt.Errorf("dedup: unknown store %q (want memory, off or redis://…)", spec)
}

// Off is a store that never sees duplicates: every callback is delivered.
// Its claims are all the same non-zero Claim.
type Off struct{}

func (Off) Reserve(context.Context, []byte) (State, Claim, error) { return Reserved, Claim{n: 1}, nil }
func (Off) Commit(context.Context, []byte, Claim) error           { return nil }
func (Off) Release(context.Context, []byte, Claim) error          { return nil }
func (Off) Ready(context.Context) error                           { return nil }
func (Off) Close() error                                          { return nil }
