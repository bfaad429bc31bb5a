package decoder

import "github.com/mailru/easyjson/jlexer"

// Problems that do not fail a callback: nested content that cannot be read
// makes a KindUnknown event that keeps the raw payload and says what was
// wrong, and a type no dialect models is named in the event's problem.

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

// clipTypeName clips a vendor's type name to 40 bytes for a problem detail:
// the name comes from the input and may be of any length.
func clipTypeName(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}
