package dedup

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Local is the embedded store: a map in memory, authoritative while the
// process runs, mirrored to a bbolt file for restarts.
//
// Durability: Commit updates memory and appends the key to a small journal
// file, memory-mapped (no system call, no fsync: it survives a crash or
// kill -9 of the process, as the kernel holds the data); a background
// flusher moves new keys into bbolt (fsynced) every FlushInterval and
// empties the journal.
// Open loads bbolt, then the journal. Only a power failure can forget the
// keys of the last interval, and then a replay of one of those callbacks is
// delivered a second time (downstream de-duplicates on X-Wxhook-Dedup-Key /
// Nats-Msg-Id) — an event is never lost. An fsync per request instead would
// cap the worker at the disk's fsync rate.
//
// Bound and TTL: all keys live for the same TTL, so commit order is expiry
// order and one FIFO serves both: the oldest keys go first when they expire
// or when MaxKeys is exceeded.
//
// Claims: open claims live in their own map, apart from the committed keys,
// numbered from a counter (a Claim is its number); they are never persisted
// (after a restart every claim is gone, as the requests holding them are).
// Release deletes a claim only if the number matches; Commit deletes
// whichever claim is open. A claim whose holder never closes it (a request
// that panicked) is free for Reserve once its lease ends, and the background
// flusher sweeps such claims out every FlushInterval. The map holds only the
// claims of requests in progress (and, for at most a lease plus an interval,
// ones never closed), so the sweep costs little, and a committed key needs
// no state beyond its expiry.
type Local struct {
	opt Options
	db  *bolt.DB

	mu      sync.Mutex
	keys    map[hkey]int64 // committed keys: expiry, unix nanoseconds
	fifo    fifo           // committed keys, oldest first
	pending []item         // committed, not yet in bbolt
	// spare is the pending list a flush took, emptied once bbolt has it:
	// the next flush's pending list, so that the lists are not grown anew
	// each interval.
	spare   []item
	batch   uint64 // sequence number of the last bbolt batch
	closed  bool
	journal *journal // keys committed since the last flush

	// Guarded by mu too.
	claims    map[hkey]claim // open claims
	lastClaim uint64         // number of the last claim handed out
	// epoch is what claim leases are measured from, on the monotonic
	// clock: a wall clock stepped forward (NTP) must not end live leases.
	// Committed keys keep wall-clock expiries: they are persisted.
	epoch time.Time
	// clock reads both clocks at once (readClock); tests replace it to step
	// one clock without the other, which time.Time cannot express.
	clock func() (wall, lease int64)

	stop chan struct{}
	done chan struct{}
}

// hkey is a dedup key as stored: the first 128 bits of its SHA-256. Fixed
// size and free of pointers, so a million committed keys cost ~56 MB of map
// (24 bytes a slot with the expiry) and nothing for the garbage collector to
// scan, and records on disk have one size. Two distinct keys would have to
// collide on 128 bits for an event to be taken for a duplicate: with n keys
// remembered the odds are about n²/2¹²⁹ (~10⁻²⁷ for a million).
type hkey [2]uint64

func hashKey(key []byte) hkey {
	s := sha256.Sum256(key)
	return hkey{binary.BigEndian.Uint64(s[:8]), binary.BigEndian.Uint64(s[8:16])}
}

// claim is an open claim: pointer-free, like the keys.
type claim struct {
	n   uint64 // Claim.n: never 0
	exp int64  // end of the lease: nanoseconds since Local.epoch (monotonic)
}

// readClock is Local's clock: the wall clock in Unix nanoseconds (for
// committed keys' expiries) and the monotonic time since epoch (for claim
// leases), from one clock read.
func (l *Local) readClock() (wall, lease int64) {
	t := time.Now()
	return t.UnixNano(), int64(t.Sub(l.epoch))
}

type item struct {
	key hkey
	exp int64
}

var bucket = []byte("dedup")

// OpenLocal opens (or creates) the store file at path and loads the keys
// that have not expired.
func OpenLocal(path string, opt Options) (*Local, error) {
	opt.defaults()
	// Timeout: a second worker on the same data dir fails instead of hanging
	// on bbolt's file lock.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	l := &Local{opt: opt, db: db, keys: make(map[hkey]int64), claims: make(map[hkey]claim), epoch: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	l.clock = l.readClock
	var loaded []item
	if err := l.load(&loaded); err != nil {
		db.Close()
		return nil, err
	}
	if err := l.loadJournal(path+".journal", loaded); err != nil {
		db.Close()
		return nil, err
	}
	go l.loop()
	return l, nil
}

// bbolt holds one value per flush (a "batch"): the key is the batch's
// newest expiry (8 bytes, big endian) + a sequence number, the value its
// keys in journal format. One Put per flush instead of one per key keeps the
// store cheap at tens of thousands of events per second, and since expiry
// order is commit order, whole batches expire or are evicted from the front.
func batchKey(maxExp int64, seq uint64) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(maxExp))
	return binary.BigEndian.AppendUint64(b, seq)
}

// load adds the keys in bbolt to the map and to *loaded.
func (l *Local) load(loaded *[]item) error {
	now := time.Now().UnixNano()
	return l.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		var stale [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 16 || int64(binary.BigEndian.Uint64(k)) <= now {
				stale = append(stale, append([]byte(nil), k...))
				continue
			}
			l.batch = max(l.batch, binary.BigEndian.Uint64(k[8:]))
			l.addRecords(v, now, false, loaded)
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// addRecords loads journal-format records (a torn last one is ignored) into
// the map and *loaded, skipping expired keys; pending marks them as not yet
// in bbolt.
func (l *Local) addRecords(b []byte, now int64, pending bool, loaded *[]item) {
	for ; len(b) >= recordLen; b = b[recordLen:] {
		it, ok := readRecord(b)
		if !ok {
			return // the zeroed tail of the journal
		}
		if it.exp <= now {
			continue
		}
		if exp, ok := l.keys[it.key]; ok && exp >= it.exp {
			continue
		}
		l.keys[it.key] = it.exp
		*loaded = append(*loaded, it)
		if pending {
			l.pending = append(l.pending, it)
		}
	}
}

// loadJournal adds the keys committed after the last flush of a previous
// run (a torn last record is ignored), puts them and loaded (bbolt's) in
// the FIFO in expiry order, and opens the journal for appending.
func (l *Local) loadJournal(path string, loaded []item) error {
	j, old, err := openJournal(path)
	if err != nil {
		return err
	}
	l.journal = j
	now := time.Now().UnixNano()
	l.addRecords(old, now, true, &loaded)
	slices.SortFunc(loaded, func(a, b item) int { return cmp.Compare(a.exp, b.exp) })
	for _, it := range loaded {
		l.fifo.push(it)
	}
	l.evict(now)
	// Rewrite the journal with what is still pending: drops a torn tail.
	return l.journal.reset(l.pending)
}

// Reserve implements Store.
func (l *Local) Reserve(_ context.Context, key []byte) (State, Claim, error) {
	now, lease := l.clock()
	k := hashKey(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if exp, ok := l.keys[k]; ok && exp > now {
		return Duplicate, Claim{}, nil
	}
	if c, ok := l.claims[k]; ok && c.exp > lease {
		return InFlight, Claim{}, nil
	}
	// Free, or claimed by a claim whose lease ended: that claim is replaced,
	// so its holder's Release no longer matches.
	l.lastClaim++
	l.claims[k] = claim{n: l.lastClaim, exp: lease + int64(l.opt.Lease)}
	return Reserved, Claim{n: l.lastClaim, h: k}, nil
}

// claimedKey returns key's hash: the one c carries when Reserve made c
// (for key: Store.Commit), or a new one.
func claimedKey(key []byte, c Claim) hkey {
	if c.h != (hkey{}) { // a zero SHA-256 prefix: no key's, ~2⁻¹²⁸
		return c.h
	}
	return hashKey(key)
}

// Commit implements Store: it commits key whoever holds it (see
// Store.Commit) and drops the open claim, if any.
func (l *Local) Commit(_ context.Context, key []byte, c Claim) error {
	now, _ := l.clock()
	it := item{key: claimedKey(key, c), exp: now + int64(l.opt.TTL)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("dedup: store closed")
	}
	delete(l.claims, it.key)
	l.keys[it.key] = it.exp
	l.fifo.push(it)
	l.pending = append(l.pending, it)
	l.evict(now)
	return l.journal.append(it)
}

// Release implements Store: it deletes key's claim if it is c, whether or
// not its lease ended (no one claimed the key since).
func (l *Local) Release(_ context.Context, key []byte, c Claim) error {
	k := claimedKey(key, c)
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.claims[k]; ok && cur.n == c.n {
		delete(l.claims, k)
	}
	return nil
}

// sweep drops the claims whose lease has ended at now (the clock's lease
// time): Reserve already treats them as free, so only memory changes. A holder still out may Release or Commit
// later: its Release then finds nothing to drop (as after a new claim), its
// Commit commits as always. l.mu is held.
func (l *Local) sweep(now int64) {
	for k, c := range l.claims {
		if c.exp <= now {
			delete(l.claims, k)
		}
	}
}

// evict drops expired keys and the oldest beyond MaxKeys. l.mu is held.
func (l *Local) evict(now int64) {
	for l.fifo.len() > 0 {
		it := l.fifo.front()
		if it.exp > now && l.fifo.len() <= l.opt.MaxKeys {
			break
		}
		// A key committed twice (after its TTL) is in the FIFO twice: only
		// the entry matching the map's expiry removes it from the map.
		if exp, ok := l.keys[it.key]; ok && exp == it.exp {
			delete(l.keys, it.key)
		}
		l.fifo.pop()
	}
}

func (l *Local) loop() {
	defer close(l.done)
	t := time.NewTicker(l.opt.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			_, lease := l.clock()
			l.sweep(lease)
			l.mu.Unlock()
			_ = l.flush()
		}
	}
}

// flush writes the pending keys to bbolt as one batch and deletes the
// batches whose keys have all expired or been evicted, in one transaction.
func (l *Local) flush() error {
	l.mu.Lock()
	add := l.pending
	l.pending, l.spare = l.spare[:0], nil
	// Every key older than the oldest one still remembered is gone.
	cutoff, _ := l.clock()
	if l.fifo.len() > 0 {
		cutoff = l.fifo.front().exp
	}
	l.mu.Unlock()
	val := make([]byte, 0, len(add)*recordLen)
	var maxExp int64
	for _, it := range add {
		val = appendJournal(val, it)
		maxExp = max(maxExp, it.exp)
	}
	err := l.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		// Always delete the first batch and seek again: a bbolt cursor may
		// skip an item when deleting while iterating.
		c := b.Cursor()
		for k, _ := c.First(); k != nil && int64(binary.BigEndian.Uint64(k)) < cutoff; k, _ = c.First() {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		if len(add) == 0 {
			return nil
		}
		l.batch++
		return b.Put(batchKey(maxExp, l.batch), val)
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		// Keep them for the next attempt (they are still in the journal).
		l.pending = append(add, l.pending...)
		return err
	}
	if len(add) == 0 {
		return nil
	}
	l.spare = add[:0]
	// bbolt has the flushed keys: the journal keeps only the newer ones.
	return l.journal.reset(l.pending)
}

// Len returns the number of committed keys remembered.
func (l *Local) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fifo.len()
}

// Ready implements Store.
func (l *Local) Ready(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("dedup: store closed")
	}
	return nil
}

// Close flushes the last keys and closes the file.
func (l *Local) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	err := l.flush()
	if cerr := l.db.Close(); err == nil {
		err = cerr
	}
	if cerr := l.journal.close(); err == nil {
		err = cerr
	}
	return err
}
