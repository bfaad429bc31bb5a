package dedup

import (
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkLocal runs the Local store's path for one callback, as the
// worker does: "new" reserves and commits a new key each time (the keys
// pile up, as in worker/bench/run.sh), "duplicate" reserves a committed
// key. B/op is what growing the store's memory costs per key: its map,
// FIFO and pending list, and the background flush into bbolt.
func BenchmarkLocal(b *testing.B) {
	b.Run("new", func(b *testing.B) {
		s := benchLocal(b)
		key := []byte("eyun:wxid_a1b2c3d4e5f6g7:")
		n := len(key)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			key = strconv.AppendInt(key[:n], int64(i), 10)
			st, c, err := s.Reserve(ctx, key)
			if err != nil || st != Reserved {
				b.Fatal(st, err)
			}
			if err := s.Commit(ctx, key, c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		s := benchLocal(b)
		key := []byte("eyun:wxid_a1b2c3d4e5f6g7:769189154845429899")
		if err := s.Commit(ctx, key, Claim{}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if st, _, err := s.Reserve(ctx, key); err != nil || st != Duplicate {
				b.Fatal(st, err)
			}
		}
	})
}

func benchLocal(b *testing.B) *Local {
	s, err := OpenLocal(filepath.Join(b.TempDir(), "d.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}
