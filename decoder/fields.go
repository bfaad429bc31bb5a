package decoder

import (
	"strconv"
	"unsafe"

	"github.com/mailru/easyjson/jlexer"
)

// The helpers below read vals into canonical values. A field of the wrong
// type records the first problem in d.err (bad_field, or bad_content while
// d.inContent is set) instead of failing at once, so that one pass reads
// everything it can and the problem names the first field that was wrong.
// A bad_field fails the callback; a bad_content does not: endContent turns
// it into a KindUnknown event that reports it and keeps the raw payload.

func (d *Decoder) fail(field string, v val, detail string) {
	if d.err != nil {
		return
	}
	code := CodeBadField
	if d.inContent {
		code = CodeBadContent
	}
	d.err = &Error{Code: code, Dialect: d.dialect, Field: field, Offset: d.offsetOf(v), Detail: detail}
}

// offsetOf is v's byte offset in the callback body, or the offset of the
// content string being decoded when v comes from nested content, or -1.
func (d *Decoder) offsetOf(v val) int {
	if len(v.b) > 0 && len(d.src) > 0 {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(v.b)))
		s := uintptr(unsafe.Pointer(unsafe.SliceData(d.src)))
		if p >= s && p < s+uintptr(len(d.src)) {
			return int(p - s)
		}
	}
	if d.inContent {
		return d.contentOff
	}
	return -1
}

// str reads a string field (numbers and booleans are taken as their text).
func (d *Decoder) str(v val, field string) string {
	s, ok := d.text(v)
	if !ok {
		d.fail(field, v, "want a string")
	}
	return s
}

// num reads an integer field, given as a number or as a string.
func (d *Decoder) num(v val, field string) int64 {
	n, ok := v.int()
	if !ok {
		d.fail(field, v, "want an integer")
	}
	return n
}

// id reads an identifier given as a string or as an integer. Integers keep
// their digits: they are never converted through float64.
func (d *Decoder) id(v val, field string) string {
	if v.isString() || !v.IsDefined() {
		return d.str(v, field)
	}
	b, ok := v.digits()
	if !ok {
		d.fail(field, v, "want an id (string or integer)")
		return ""
	}
	return bytesToString(b)
}

// flag reads a boolean given as true/false, "true"/"false", 1/0.
func (d *Decoder) flag(v val, field string) bool {
	b, ok := v.bool()
	if !ok {
		d.fail(field, v, "want a boolean")
	}
	return b
}

// float reads a decimal given as a number or a string.
func (d *Decoder) float(v val, field string) float64 {
	b := v.b
	if !v.IsDefined() {
		return 0
	}
	if v.isString() {
		b = b[1 : len(b)-1]
		if len(b) == 0 {
			return 0
		}
	}
	f, err := strconv.ParseFloat(bytesToString(b), 64)
	if err != nil {
		d.fail(field, v, "want a number")
		return 0
	}
	return f
}

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

// strings appends the strings of a JSON array of strings (or ids) to out.
func (d *Decoder) strings(v val, field string, out []string) []string {
	if !v.IsDefined() {
		return out
	}
	if !v.isArray() {
		d.fail(field, v, "want an array of strings")
		return out
	}
	l := &d.sub
	*l = jlexer.Lexer{Data: v.b}
	l.Delim('[')
	for l.Ok() && !l.IsDelim(']') {
		e := val{l.Raw()}
		if s := d.id(e, field); s != "" {
			out = append(out, s)
		}
		l.WantComma()
	}
	l.Delim(']')
	if l.Error() != nil {
		d.fail(field, v, "want an array of strings")
	}
	return out
}

// members appends the ids of a JSON array to a member list.
func (d *Decoder) members(v val, field string, out []Member) []Member {
	if !v.IsDefined() {
		return out
	}
	if !v.isArray() {
		d.fail(field, v, "want an array of ids")
		return out
	}
	l := &d.sub
	*l = jlexer.Lexer{Data: v.b}
	l.Delim('[')
	for l.Ok() && !l.IsDelim(']') {
		if s := d.id(val{l.Raw()}, field); s != "" {
			out = append(out, Member{ID: s})
		}
		l.WantComma()
	}
	l.Delim(']')
	if l.Error() != nil {
		d.fail(field, v, "want an array of ids")
	}
	return out
}

// realID drops the "0" vendors send when a message has no id: as an id it
// would make every such event a duplicate of the first.
func realID(s string) string {
	if s == "0" {
		return ""
	}
	return s
}

// Shared by every dialect: nested-content problems and arena-built strings.

// contentProblem turns an unreadable nested content into a KindUnknown event
// that keeps the raw callback and says what was wrong.
func (d *Decoder) contentProblem(ev *Event, field, detail string) {
	ev.Kind = KindUnknown
	ev.Problem = Problem{Code: CodeBadContent, Field: field, Offset: d.contentOff, Detail: detail}
	d.inContent = false
}

// endContent ends the reading of nested content: a field of the wrong type in
// it does not fail the callback, it makes the event KindUnknown with the
// problem reported and the raw payload kept.
func (d *Decoder) endContent(ev *Event, content string) {
	d.inContent = false
	if e := d.err; e != nil && e.Code == CodeBadContent {
		d.err = nil
		ev.Kind = KindUnknown
		ev.Content = content
		ev.Problem = Problem{Code: e.Code, Field: e.Field, Offset: e.Offset, Detail: e.Detail}
	}
}

// endWeChatContent ends the decoding of WeChat's XML content: unreadable XML makes
// the event KindUnknown, keeping the content and the raw callback.
func (d *Decoder) endWeChatContent(ev *Event, content string, err error) {
	if err == nil {
		d.endContent(ev, content)
		return
	}
	d.inContent = false
	if e, ok := err.(*Error); ok && d.err == nil {
		d.err = e
	}
	d.endContent(ev, content)
	if d.err != nil { // not a content problem: keep it as the callback's error
		return
	}
	ev.Kind = KindUnknown
	ev.Content = content
	if ev.Problem.Code == "" {
		ev.Problem = Problem{Code: CodeBadContent, Detail: err.Error()}
	}
}

func lexReason(err error) string {
	if le, ok := err.(*jlexer.LexerError); ok {
		return le.Reason
	}
	return err.Error()
}

// quoteType shortens a vendor's type name for a problem detail.
func quoteType(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// join concatenates parts into the arena (no allocation).
func (d *Decoder) join(parts ...string) string {
	start := len(d.arena)
	for _, p := range parts {
		d.arena = append(d.arena, p...)
	}
	return bytesToString(d.arena[start:len(d.arena):len(d.arena)])
}

// itoa formats n into the arena.
func (d *Decoder) itoa(n int64) string {
	start := len(d.arena)
	d.arena = strconv.AppendInt(d.arena, n, 10)
	return bytesToString(d.arena[start:len(d.arena):len(d.arena)])
}
