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
	d.err = &Error{Code: code, Vendor: d.dialect, Field: field, Offset: d.offsetOf(v), Detail: detail}
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
