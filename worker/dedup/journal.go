package dedup

import "encoding/binary"

// Journal and bbolt batch records: [8-byte expiry][16-byte hkey], all big
// endian. An expiry of 0 marks the end (the mapped journal's unused tail is
// zeros); a shorter tail is a record torn by a crash and is ignored.
const recordLen = 24

func appendJournal(b []byte, it item) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(it.exp))
	b = binary.BigEndian.AppendUint64(b, it.key[0])
	return binary.BigEndian.AppendUint64(b, it.key[1])
}

func readRecord(b []byte) (item, bool) {
	if len(b) < recordLen {
		return item{}, false
	}
	it := item{exp: int64(binary.BigEndian.Uint64(b))}
	it.key[0] = binary.BigEndian.Uint64(b[8:])
	it.key[1] = binary.BigEndian.Uint64(b[16:])
	return it, it.exp != 0
}
