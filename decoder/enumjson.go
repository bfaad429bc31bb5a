package decoder

import (
	"fmt"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// The enums are written as their canonical names. The generated code of
// Event calls these MarshalEasyJSON/UnmarshalEasyJSON methods, which is why
// they are exported: easyjson only calls a type's own code through them.
// Without them it would fall back to MarshalText below, which allocates a
// slice per field; these write the name straight into the buffer.

// MarshalEasyJSON writes the dialect name.
func (d Dialect) MarshalEasyJSON(w *jwriter.Writer) { writeName(w, d.String()) }

// UnmarshalEasyJSON reads a dialect name.
func (d *Dialect) UnmarshalEasyJSON(l *jlexer.Lexer) {
	s := l.UnsafeString()
	v, ok := ParseDialect(s)
	if !ok && l.Ok() {
		l.AddError(&jlexer.LexerError{Reason: "unknown vendor", Data: s, Offset: l.GetPos()})
	}
	*d = v
}

// MarshalEasyJSON writes the kind name.
func (k Kind) MarshalEasyJSON(w *jwriter.Writer) { writeName(w, k.String()) }

// UnmarshalEasyJSON reads a kind name.
func (k *Kind) UnmarshalEasyJSON(l *jlexer.Lexer) {
	s := l.UnsafeString()
	v, ok := ParseKind(s)
	if !ok && l.Ok() {
		l.AddError(&jlexer.LexerError{Reason: "unknown kind", Data: s, Offset: l.GetPos()})
	}
	*k = v
}

// MarshalEasyJSON writes "private", "group" or "".
func (c Chat) MarshalEasyJSON(w *jwriter.Writer) { writeName(w, c.String()) }

// writeName writes an enum's name as a JSON string. The names are lower-case
// ASCII words and underscores (TestEnumNamesNeedNoEscaping), so they are
// written as they are, without the writer's escape scan.
func writeName(w *jwriter.Writer, name string) {
	w.RawByte('"')
	w.RawString(name)
	w.RawByte('"')
}

// UnmarshalEasyJSON reads "private", "group" or "".
func (c *Chat) UnmarshalEasyJSON(l *jlexer.Lexer) {
	switch s := l.UnsafeString(); s {
	case "private":
		*c = ChatPrivate
	case "group":
		*c = ChatGroup
	case "":
		*c = ChatNone
	default:
		if l.Ok() {
			l.AddError(&jlexer.LexerError{Reason: "unknown chat", Data: s, Offset: l.GetPos()})
		}
	}
}

// The enums also implement encoding.TextMarshaler and TextUnmarshaler, so that
// encoding/json (and any encoder that honours them) writes an Event with the
// same names as its canonical JSON. The canonical path above does not use
// them: MarshalText returns a fresh slice.

// MarshalText returns the dialect name.
func (d Dialect) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a dialect name; "" is Auto, as in ParseDialect.
func (d *Dialect) UnmarshalText(b []byte) error {
	v, ok := ParseDialect(string(b))
	if !ok {
		return fmt.Errorf("decoder: unknown vendor %q", b)
	}
	*d = v
	return nil
}

// MarshalText returns the kind name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, ok := ParseKind(string(b))
	if !ok {
		return fmt.Errorf("decoder: unknown kind %q", b)
	}
	*k = v
	return nil
}

// MarshalText returns "private", "group" or "".
func (c Chat) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads "private", "group" or "".
func (c *Chat) UnmarshalText(b []byte) error {
	switch string(b) {
	case "private":
		*c = ChatPrivate
	case "group":
		*c = ChatGroup
	case "":
		*c = ChatNone
	default:
		return fmt.Errorf("decoder: unknown chat %q", b)
	}
	return nil
}
