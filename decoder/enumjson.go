package decoder

import (
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// The enums are written as their canonical names. They are hand-written
// because easyjson would otherwise write them as numbers.

// MarshalEasyJSON writes the dialect name.
func (d Dialect) MarshalEasyJSON(w *jwriter.Writer) { w.String(d.String()) }

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
func (k Kind) MarshalEasyJSON(w *jwriter.Writer) { w.String(k.String()) }

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
func (c Chat) MarshalEasyJSON(w *jwriter.Writer) { w.String(c.String()) }

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
