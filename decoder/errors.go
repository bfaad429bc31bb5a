package decoder

import (
	"strconv"
)

// Code classifies a decoding failure. Codes are stable strings: they appear in
// the canonical error JSON and in metrics.
type Code string

// The error codes.
const (
	// CodeEmpty: the body was empty or only white space.
	CodeEmpty Code = "empty"
	// CodeNotJSON: the body is not a JSON object (syntax error, or not an object).
	CodeNotJSON Code = "not_json"
	// CodeUnknownDialect: a JSON object, but no dialect's keys were found.
	CodeUnknownDialect Code = "unknown_dialect"
	// CodeWrongDialect: a dialect was chosen but the body is another dialect's.
	CodeWrongDialect Code = "wrong_dialect"
	// CodeMissingField: a field the dialect requires is absent.
	CodeMissingField Code = "missing_field"
	// CodeBadField: a field is present but of the wrong type or unreadable.
	CodeBadField Code = "bad_field"
	// CodeBadContent: nested content (JSON in a string, XML) is unreadable.
	CodeBadContent Code = "bad_content"
	// CodeTooLarge: the input exceeds a limit of the engine.
	CodeTooLarge Code = "too_large"
	// CodeInternal: an engine failed (a WebAssembly trap, a cancelled call).
	CodeInternal Code = "internal"
)

// Error is the one error type of wxhook's decoding: what went wrong (Code),
// in which vendor's callback (Vendor, Auto when not known), at which field
// path and byte offset of the input.
type Error struct {
	Code   Code    `json:"code"`
	Vendor Dialect `json:"vendor"`
	Field  string  `json:"field,omitempty"`
	// Offset is the byte offset in the input where the problem was seen,
	// or -1 when it is not known.
	Offset int    `json:"offset"`
	Detail string `json:"detail,omitempty"`
}

// Error formats the error as "wxhook: eyun: data.content at byte 12: bad_content: detail".
func (e *Error) Error() string {
	b := make([]byte, 0, 64+len(e.Field)+len(e.Detail))
	b = append(b, "wxhook: "...)
	if e.Vendor != Auto {
		b = append(b, e.Vendor.String()...)
		b = append(b, ": "...)
	}
	if e.Field != "" {
		b = append(b, e.Field...)
		b = append(b, ' ')
	}
	if e.Offset >= 0 {
		b = append(b, "at byte "...)
		b = strconv.AppendInt(b, int64(e.Offset), 10)
		b = append(b, ": "...)
	} else if e.Field != "" {
		b = append(b[:len(b)-1], ": "...)
	}
	b = append(b, e.Code...)
	if e.Detail != "" {
		b = append(b, ": "...)
		b = append(b, e.Detail...)
	}
	return string(b)
}

// Is lets errors.Is match an *Error by Code: errors.Is(err, &Error{Code: CodeEmpty}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// errorEnvelope is the canonical error JSON: {"error":{...}}.
//
//easyjson:json
type errorEnvelope struct {
	Error *Error `json:"error"`
}

// errNoOffset is the *Error for a problem that no single byte of the input
// shows (a missing field, a dialect decided by several keys): its Offset is -1.
func errNoOffset(code Code, dialect Dialect, field, detail string) *Error {
	return &Error{Code: code, Vendor: dialect, Field: field, Offset: -1, Detail: detail}
}

// NewError is the *Error of a failure that is not a place in a callback's
// bytes — an engine that failed, an input that could not be read — for
// code in vendor's callback (Auto when not known): no field, Offset -1.
// Engines and tools report their own failures with it, so that every error
// wxhook prints has the same shape.
func NewError(code Code, vendor Dialect, detail string) *Error {
	return errNoOffset(code, vendor, "", detail)
}
