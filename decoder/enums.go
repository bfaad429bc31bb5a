package decoder

// Iteration over the enumerations, for tables indexed by them (metrics,
// the module ABI's name tables): code outside this package never hard-codes
// their ranges.

// Dialects returns every Dialect, Auto first, in numeric order (a fresh
// slice each call).
func Dialects() []Dialect {
	ds := make([]Dialect, len(dialectNames))
	for i := range ds {
		ds[i] = Dialect(i)
	}
	return ds
}

// Kinds returns every Kind, KindUnknown first, in numeric order (a fresh
// slice each call). len(Kinds()) sizes a table indexed by Kind.
func Kinds() []Kind {
	ks := make([]Kind, kindCount)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// Codes returns every error code the decoder and its engines produce, in
// their documented order (a fresh slice each call).
func Codes() []Code {
	return []Code{CodeEmpty, CodeNotJSON, CodeUnknownDialect, CodeWrongDialect, CodeMissingField,
		CodeBadField, CodeBadContent, CodeTooLarge, CodeInternal}
}
