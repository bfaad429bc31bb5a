package decoder

// Vendor conventions normalised away while reading fields.

// millis normalises a vendor timestamp to unix milliseconds. Vendors send
// seconds (eyun, wecom messages), milliseconds (dll, wecom events) and,
// rarely, microseconds; the magnitude tells them apart for any date between
// 1973 and 5138.
func millis(n int64) int64 {
	switch {
	case n <= 0:
		return 0
	case n < 100_000_000_000: // seconds
		return n * 1000
	case n >= 100_000_000_000_000: // microseconds
		return n / 1000
	}
	return n
}

// realID drops the "0" vendors send when a message has no id: as an id it
// would make every such event a duplicate of the first.
func realID(s string) string {
	if s == "0" {
		return ""
	}
	return s
}
