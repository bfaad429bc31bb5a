package spool

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// segFiles lists the spool's segment files, in order.
func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.seg*"))
	return m
}

// drain reads and acknowledges every record available now.
func drain(t *testing.T, s *Spool) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Next returns what is there, then ctx's error instead of waiting
	var got []string
	for {
		b, err := s.Next(ctx)
		if err != nil {
			return got
		}
		got = append(got, string(b))
		if err := s.Ack(); err != nil {
			t.Fatal(err)
		}
	}
}

type quarantined struct {
	Segment string
	Offset  int64
	Length  int64
	Reason  string
	Data    []byte `json:"data_base64"`
}

// readQuarantine returns the entries of quarantine.ndjson.
func readQuarantine(t *testing.T, dir string) []quarantined {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, QuarantineFile))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var qs []quarantined
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var q quarantined
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatalf("quarantine line %q: %v", sc.Bytes(), err)
		}
		qs = append(qs, q)
	}
	return qs
}

func rec100(i int) string { return fmt.Sprintf("rec-%03d-%s", i, strings.Repeat("p", 40)) }

func allBut(n int, skip ...int) []string {
	var want []string
outer:
	for i := range n {
		for _, k := range skip {
			if i == k {
				continue outer
			}
		}
		want = append(want, rec100(i))
	}
	return want
}

var (
	pristineOnce sync.Once
	pristine     []byte
)

// damaged makes a spool holding 100 records (written once by Append, then
// copied: each Append waits for its own fsync), lets damage change the
// segment file's bytes (given the offset of record 50's payload), and
// opens it.
func damaged(t *testing.T, damage func(b []byte, at int)) (*Spool, string, []byte) {
	t.Helper()
	pristineOnce.Do(func() {
		dir := t.TempDir()
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			if err := s.Append([]byte(rec100(i))); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		pristine, _ = os.ReadFile(segFiles(t, dir)[0])
	})
	dir := t.TempDir()
	b := bytes.Clone(pristine)
	damage(b, bytes.Index(b, []byte(rec100(50))))
	os.WriteFile(filepath.Join(dir, segName(0)), b, 0o600)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir, b
}

// TestDamagedByteSkipsOneRecord: one flipped byte in the middle of a
// segment of 100 records costs that record only: the 99 others are read,
// in order, and the damaged record's bytes, as they are on disk, are kept
// in quarantine.ndjson and counted once.
func TestDamagedByteSkipsOneRecord(t *testing.T) {
	s, dir, b := damaged(t, func(b []byte, at int) { b[at+10] ^= 0x01 })
	if s.Backlog() != 99 {
		t.Fatalf("backlog %d, want 99", s.Backlog())
	}
	var each []string
	s.Each(func(p []byte) { each = append(each, string(p)) })
	if strings.Join(each, ",") != strings.Join(allBut(100, 50), ",") {
		t.Fatalf("Each saw %d records, want the 99 intact ones", len(each))
	}
	got := drain(t, s)
	if strings.Join(got, ",") != strings.Join(allBut(100, 50), ",") {
		t.Fatalf("read %d records after one damaged byte, want the 99 others:\n%q", len(got), got)
	}
	if s.Quarantined() != 1 {
		t.Fatalf("Quarantined() = %d, want 1", s.Quarantined())
	}
	qs := readQuarantine(t, dir)
	at := bytes.Index(b, []byte("rec-050")) - headerLen
	if len(qs) != 1 || qs[0].Reason != "damaged" || qs[0].Offset != int64(at) ||
		!bytes.Equal(qs[0].Data, b[at:at+headerLen+len(rec100(50))]) || qs[0].Segment != segName(0) {
		t.Fatalf("quarantine %+v, want the damaged record's %d bytes at %d", qs, headerLen+len(rec100(50)), at)
	}
}

// TestDamagedLengthSkipsOneRecord: a damaged length field — larger than
// what is left, slightly larger, smaller, zero — must not make the reader
// skip good records: the header checksum catches it.
func TestDamagedLengthSkipsOneRecord(t *testing.T) {
	for name, l := range map[string]uint32{"huge": 1 << 30, "past the end": 1 << 20, "one more": uint32(len(rec100(0)) + 1),
		"to the next header": uint32(len(rec100(0)) + headerLen), "smaller": 3, "zero": 0} {
		t.Run(name, func(t *testing.T) {
			s, _, _ := damaged(t, func(b []byte, at int) { binary.BigEndian.PutUint32(b[at-headerLen+4:], l) })
			if got := drain(t, s); strings.Join(got, ",") != strings.Join(allBut(100, 50), ",") {
				t.Fatalf("read %d records after a damaged length, want the 99 others", len(got))
			}
			if s.Quarantined() != 1 {
				t.Fatalf("Quarantined() = %d, want 1", s.Quarantined())
			}
		})
	}
}

// TestDamagedRunSkipsOnlyThoseRecords: damage over several records' headers
// and payloads costs those records only.
func TestDamagedRunSkipsOnlyThoseRecords(t *testing.T) {
	s, _, _ := damaged(t, func(b []byte, at int) {
		for i := at - headerLen; i < at+2*(headerLen+len(rec100(0)))+5; i++ {
			b[i] = 0xff
		}
	})
	if got := drain(t, s); strings.Join(got, ",") != strings.Join(allBut(100, 50, 51, 52), ",") {
		t.Fatalf("read %d records, want all but 50-52:\n%q", len(got), got)
	}
}

// TestDamageInLastRecordOfNonLastSegment: the last record of a segment
// that is not the last is damaged: it is moved aside (not taken for a torn
// tail and cut), and every other record, in that segment and the next
// ones, is read.
func TestDamageInLastRecordOfNonLastSegment(t *testing.T) {
	old := SegmentSize
	SegmentSize = 10 * int64(headerLen+len(rec100(0)))
	defer func() { SegmentSize = old }()
	dir := t.TempDir()
	s, _ := Open(dir)
	for i := range 35 {
		s.Append([]byte(rec100(i)))
	}
	s.Close()
	segs := segFiles(t, dir)
	if len(segs) != 4 {
		t.Fatalf("segments %v", segs)
	}
	b, _ := os.ReadFile(segs[0])
	b[len(b)-1] ^= 0x80 // record 9, the last of segment 0
	os.WriteFile(segs[0], b, 0o600)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := drain(t, s); strings.Join(got, ",") != strings.Join(allBut(35, 9), ",") {
		t.Fatalf("read %d records, want all but 9:\n%q", len(got), got)
	}
	if s.Quarantined() != 1 {
		t.Fatalf("Quarantined() = %d, want 1", s.Quarantined())
	}
	qs := readQuarantine(t, dir)
	if len(qs) != 1 || !bytes.Equal(qs[0].Data, b[len(b)-headerLen-len(rec100(9)):]) {
		t.Fatalf("quarantine %+v", qs)
	}
}

// TestTornTailIsKeptAside: the torn tail cut at Open is not counted as
// damage, but its bytes are kept in quarantine.ndjson too.
func TestTornTailIsKeptAside(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	s.Append([]byte("good"))
	s.Close()
	seg := segFiles(t, dir)[0]
	f, _ := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	torn := []byte{0xff, 'S', 'P', '2', 0, 0, 0, 9, 1, 2} // a header cut by a crash
	f.Write(torn)
	f.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st, _ := os.Stat(seg); st.Size() != headerLen+4 {
		t.Fatalf("segment of %d bytes after Open, want the torn tail cut", st.Size())
	}
	if s.Quarantined() != 0 {
		t.Fatalf("torn tail counted as damage")
	}
	qs := readQuarantine(t, dir)
	if len(qs) != 1 || qs[0].Reason != "torn tail" || !bytes.Equal(qs[0].Data, torn) {
		t.Fatalf("quarantine %+v", qs)
	}
}

// legacyFrame is a record in format 1: [len][crc32c][payload].
func legacyFrame(p string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(p)))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum([]byte(p), castagnoli))
	return append(b, p...)
}

// writeLegacy writes a spool as the previous version left it: format-1
// segments 3 and 4 and a cursor at record 1 of segment 3.
func writeLegacy(t *testing.T, dir string, damage bool) {
	t.Helper()
	var s3, s4 []byte
	for i := range 5 {
		s3 = append(s3, legacyFrame(rec100(i))...)
	}
	for i := 5; i < 10; i++ {
		s4 = append(s4, legacyFrame(rec100(i))...)
	}
	if damage {
		s4[bytes.Index(s4, []byte(rec100(7)))] ^= 1
	}
	os.WriteFile(filepath.Join(dir, legacyName(3)), s3, 0o600)
	os.WriteFile(filepath.Join(dir, legacyName(4)), s4, 0o600)
	var c [16]byte
	binary.BigEndian.PutUint64(c[:8], 3)
	binary.BigEndian.PutUint64(c[8:], uint64(len(legacyFrame(rec100(0)))))
	os.WriteFile(filepath.Join(dir, "cursor"), c[:], 0o600)
}

// TestUpgradeReadsFormat1Segments: a spool left by the previous version is
// read from its cursor on, in order, before what the new version appends;
// the writer starts a format-2 segment after the old ones, and the old
// segments go once read.
func TestUpgradeReadsFormat1Segments(t *testing.T) {
	dir := t.TempDir()
	writeLegacy(t, dir, false)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Backlog() != 9 {
		t.Fatalf("backlog %d, want 9", s.Backlog())
	}
	s.Append([]byte(rec100(10)))
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, segName(5))); err != nil {
		t.Fatalf("new records not in a format-2 segment 5: %v", err)
	}
	s, err = Open(dir) // again: the mixed spool reopens
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := drain(t, s); strings.Join(got, ",") != strings.Join(allBut(11, 0), ",") {
		t.Fatalf("read %q", got)
	}
	if left := segFiles(t, dir); len(left) != 1 || filepath.Base(left[0]) != segName(5) {
		t.Fatalf("segments left: %v", left)
	}
}

// TestUpgradeDamagedFormat1Segment: a format-1 segment cannot be
// resynchronised, so damage moves the rest of that segment aside — kept,
// counted — and reading goes on with the next segment.
func TestUpgradeDamagedFormat1Segment(t *testing.T) {
	dir := t.TempDir()
	writeLegacy(t, dir, true)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Append([]byte(rec100(10)))
	if got := drain(t, s); strings.Join(got, ",") != strings.Join(allBut(11, 0, 7, 8, 9), ",") {
		t.Fatalf("read %q", got)
	}
	qs := readQuarantine(t, dir)
	if s.Quarantined() != 1 || len(qs) != 1 || qs[0].Segment != legacyName(4) || !bytes.Contains(qs[0].Data, []byte(rec100(9))) {
		t.Fatalf("quarantine %d %+v", s.Quarantined(), qs)
	}
}

// TestDamageWhileRunning: bytes damaged on disk after they were appended,
// while the reader is at the writer's heels, are skipped the same way.
func TestDamageWhileRunning(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	defer s.Close()
	for i := range 3 {
		s.Append([]byte(rec100(i)))
	}
	seg := segFiles(t, dir)[0]
	f, _ := os.OpenFile(seg, os.O_WRONLY, 0)
	f.WriteAt([]byte{0}, int64(headerLen+len(rec100(0))+headerLen+3)) // record 1's payload
	f.Close()
	s.Append([]byte(rec100(3)))
	if got := drain(t, s); strings.Join(got, ",") != strings.Join(allBut(4, 1), ",") {
		t.Fatalf("read %q", got)
	}
	if s.Quarantined() != 1 {
		t.Fatalf("Quarantined() = %d, want 1", s.Quarantined())
	}
}
