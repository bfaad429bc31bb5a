package spool

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// frame is payload framed in format 2, as Append writes it.
func frame(p []byte) []byte {
	b := append([]byte(nil), magic[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(p, castagnoli))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b[:12], castagnoli))
	return append(b, p...)
}

// FuzzSpoolRead opens a spool whose first segment holds arbitrary bytes —
// in format 2 or 1 (mode&1), as the last segment or followed by an intact
// one (mode&2) — and reads it to the end. It must not panic or fail, must
// return only records framed intact in those bytes (so never one whose
// checksum fails), must account for every byte (each is in a record
// returned or in quarantine.ndjson), and must still read the intact
// segment after it.
func FuzzSpoolRead(f *testing.F) {
	var good []byte
	for _, p := range []string{"one", "", "three-three"} {
		good = append(good, frame([]byte(p))...)
	}
	flipped := bytes.Clone(good)
	flipped[headerLen+1] ^= 4
	badLen := bytes.Clone(good)
	badLen[headerLen+3+5] = 0x7f
	f.Add(byte(0), good)
	f.Add(byte(2), good)
	f.Add(byte(0), flipped)
	f.Add(byte(2), badLen)
	f.Add(byte(0), good[:len(good)-3])
	f.Add(byte(1), append(legacyFrame("old"), legacyFrame("older")...))
	f.Add(byte(3), append(legacyFrame("old"), 0, 0, 0, 9))
	f.Add(byte(0), append(bytes.Repeat(magic[:], 5), good...))
	f.Fuzz(func(t *testing.T, mode byte, seg []byte) {
		legacy, last := mode&1 != 0, mode&2 != 0
		dir := t.TempDir()
		name, fr := segName(0), frame
		if legacy {
			name, fr = legacyName(0), func(p []byte) []byte { return legacyFrame(string(p)) }
		}
		if err := os.WriteFile(filepath.Join(dir, name), seg, 0o600); err != nil {
			t.Fatal(err)
		}
		const after = "the intact segment after"
		if !last {
			os.WriteFile(filepath.Join(dir, segName(1)), frame([]byte(after)), 0o600)
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		got := drain(t, s)
		if !last {
			if len(got) == 0 || got[len(got)-1] != after {
				t.Fatalf("the intact segment after the fuzzed one was not read: %q", got)
			}
			got = got[:len(got)-1]
		}
		accounted := 0
		for _, r := range got {
			b := fr([]byte(r))
			if !bytes.Contains(seg, b) {
				t.Fatalf("record %q is not framed intact in the segment", r)
			}
			accounted += len(b)
		}
		for _, q := range readQuarantine(t, dir) {
			if q.Segment == name {
				accounted += len(q.Data)
			}
		}
		if accounted != len(seg) {
			t.Fatalf("%d bytes in records read or quarantined, segment has %d", accounted, len(seg))
		}
	})
}
