package decoder

// decode is filled in by the dialect files.
func (d *Decoder) decode(src []byte, dialect Dialect, ev *Event) error {
	return &Error{Code: CodeUnknownDialect, Dialect: dialect, Offset: -1, Detail: "not implemented yet"}
}
