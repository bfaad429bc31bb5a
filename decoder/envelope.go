package decoder

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/mailru/easyjson/jlexer"
)

// envelope is the union of the dialects' top-level objects, filled in one
// pass over the input. A key that only one dialect sends proves the dialect
// as it is met (message, event as an object → wecom; wcId, messageType →
// eyun; event as a string → dll; TypeName, Appid, Wxid, testMsg → gewe, whose
// keys are capitalised and so never equal another dialect's); a key a dialect
// merely tends to send (seq, token, account, description, time, Data) is a
// hint, used when no key proves one. "data" is shared by eyun and dll: it is
// decoded in place with the dialect proven (or hinted) at that point, and
// decoded again from its recorded span only in the rare case that a later
// key proves another dialect (eyun sorts its keys, so "account" always
// precedes "data").
type envelope struct {
	// wecom
	seq, token val
	msg        wecomMessage
	hasMsg     bool
	wev        wecomEvent
	hasWev     bool
	// eyun
	wcID, account, messageType val
	eyun                       eyunData
	// dll
	event, description, time val
	dll                      dllData
	// gewe: "Data" (capitalised, unlike eyun's and dll's "data") is only
	// GeWe's, so it is decoded at once and never again.
	typeName, appid, wxid, testMsg val
	gewe                           geweData
	hasGewe                        bool
	geweStart, geweEnd             int
	// data as decoded: which dialect's struct holds it and its raw span
	hasData   bool
	dataAs    Dialect
	dataStart int
	dataEnd   int
	// what the keys say about the dialect
	keys vote
}

// vote records what the top-level keys say about the dialect: the dialect a
// key proves (a key only that dialect sends) and the one a key hints at (a
// key the dialect tends to send), and whether two keys proved different ones.
type vote struct {
	proven, hinted Dialect
	conflict       bool
	conflictKey    string
}

// proves records a key that only dialect d sends. A key proving another
// dialect than an earlier one is a conflict, reported with the first such key.
func (v *vote) proves(d Dialect, key string) {
	if v.proven != Auto && v.proven != d && !v.conflict {
		v.conflict, v.conflictKey = true, key
	}
	if v.proven == Auto {
		v.proven = d
	}
}

// hints records a key dialect d tends to send; the first hint counts, and
// only when no key proves a dialect.
func (v *vote) hints(d Dialect) {
	if v.hinted == Auto {
		v.hinted = d
	}
}

func (v *vote) best() Dialect {
	if v.proven != Auto {
		return v.proven
	}
	return v.hinted
}

// MaxInput bounds one callback body, in every engine. Vendors' largest
// bodies carry a base64 thumbnail (eyun "img") and stay far below it.
const MaxInput = 16 << 20

// TooLarge is the error for a body over MaxInput. Engines that check the
// size before reaching the decoder (package host) return this same error, so
// every engine answers an oversized body with the same bytes.
func TooLarge(dialect Dialect) *Error {
	return &Error{Code: CodeTooLarge, Vendor: dialect, Offset: MaxInput, Detail: "callback body exceeds 16 MiB"}
}

// decode parses src into ev. It is the single entry of every dialect: it
// reads the top-level object, settles the dialect, lets that dialect build
// the event and, for an event no dialect understood, keeps the raw body.
func (d *Decoder) decode(src []byte, want Dialect, ev *Event) error {
	if err := d.readEnvelope(src, want); err != nil {
		return err
	}
	dialect, err := d.resolveDialect(want)
	if err != nil {
		return err
	}
	ev.Vendor = dialect
	switch dialect {
	case Wecom:
		err = d.wecom(ev)
	case Eyun:
		err = d.eyunEvent(ev)
	case DLL:
		err = d.dllEvent(ev)
	case Gewe:
		err = d.geweEvent(ev)
	}
	if err != nil {
		return err
	}
	if ev.Kind == KindUnknown {
		return d.keepRaw(ev, dialect)
	}
	return nil
}

// readEnvelope reads the top-level object of src into d.env in one pass,
// voting on the dialect from its keys (d.env.keys) as they come. want is the
// caller's dialect: it names errors and, when not Auto, decides how "data"
// is read.
func (d *Decoder) readEnvelope(src []byte, want Dialect) error {
	if len(src) > MaxInput {
		return TooLarge(want)
	}
	i := skipSpace(src, 0)
	if i == len(src) {
		return &Error{Code: CodeEmpty, Vendor: want, Offset: 0, Detail: "the body is empty"}
	}
	if src[i] != '{' {
		return &Error{Code: CodeNotJSON, Vendor: want, Offset: i, Detail: "a callback is a JSON object"}
	}
	d.src = src
	env := &d.env
	*env = envelope{}
	v := &env.keys
	field := ""

	l := &d.lex
	*l = jlexer.Lexer{Data: src}
	l.Delim('{')
	for l.Ok() && !l.IsDelim('}') {
		key := l.UnsafeFieldName(true) // unescaped only if no case matches
		l.WantColon()
		escaped := false
	member:
		field = key
		switch key {
		case "seq":
			v.hints(Wecom)
			env.seq.b = l.Raw()
		case "token":
			v.hints(Wecom)
			env.token.b = l.Raw()
		case "message":
			v.proves(Wecom, key)
			if l.IsNull() {
				l.Skip()
				break
			}
			env.msg.read(l)
			env.hasMsg = true
		case "event":
			if l.IsDelim('{') {
				v.proves(Wecom, key)
				env.wev.UnmarshalEasyJSON(l)
				env.hasWev = true
			} else {
				v.proves(DLL, key)
				env.event.b = l.Raw()
			}
		case "wcId":
			v.proves(Eyun, key)
			env.wcID.b = l.Raw()
		case "messageType":
			v.proves(Eyun, key)
			env.messageType.b = l.Raw()
		case "account":
			v.hints(Eyun)
			env.account.b = l.Raw()
		case "description":
			v.hints(DLL)
			env.description.b = l.Raw()
		case "time":
			v.hints(DLL)
			env.time.b = l.Raw()
		case "TypeName":
			v.proves(Gewe, key)
			env.typeName.b = l.Raw()
		case "Appid":
			v.proves(Gewe, key)
			env.appid.b = l.Raw()
		case "Wxid":
			v.proves(Gewe, key)
			env.wxid.b = l.Raw()
		case "testMsg":
			v.proves(Gewe, key)
			env.testMsg.b = l.Raw()
		case "Data":
			v.hints(Gewe)
			d.decodeGeweData()
		case "data":
			as := want
			if as == Auto {
				as = v.best()
			}
			d.decodeData(as)
		default:
			// A name with escapes is matched again unescaped.
			if !escaped {
				if key, escaped = escapedName(l, key); escaped {
					goto member
				}
			}
			l.SkipRecursive()
		}
		if !l.Ok() {
			break
		}
		field = "" // the value was read: what follows is structure
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	if err := l.Error(); err != nil {
		return lexError(err, want, field, src, 0)
	}
	return nil
}

// resolveDialect settles the callback's dialect from want and the keys'
// vote, and decodes "data" again if it was read as another dialect.
func (d *Decoder) resolveDialect(want Dialect) (Dialect, error) {
	env := &d.env
	v := &env.keys
	if v.conflict {
		return Auto, errNoOffset(CodeUnknownDialect, want, ownString(v.conflictKey),
			"the body has top-level keys of two dialects")
	}
	got := v.best()
	switch {
	case want == Auto && got == Auto:
		return Auto, errNoOffset(CodeUnknownDialect, Auto, "",
			"no top-level key of wecom (message, event), eyun (wcId, messageType), dll (event, time) or gewe (TypeName, Appid)")
	case want == Auto:
		want = got
	case v.proven != Auto && v.proven != want:
		return Auto, errNoOffset(CodeWrongDialect, want, "",
			"the body is a "+v.proven.String()+" callback")
	}
	if env.hasData && env.dataAs != want {
		// The data object was decoded under a hint that later keys overruled.
		d.redecodeData(want)
		if err := d.lex.Error(); err != nil {
			return Auto, lexError(err, want, "data", d.src, env.dataStart)
		}
	}
	return want, nil
}

// syntaxError returns encoding/json's syntax error for src, which
// json.Valid rejected: the one json.Unmarshal would return, message and
// offset alike. Calling Unmarshal would link encoding/json's
// reflection-based decoder into the WebAssembly module for this one error
// (557 KB of code, 138 KB gzipped), so it asks json.Indent, which runs the
// same scanner and counts bytes as Unmarshal does (json.Compact does not
// count them: its offsets are 0).
func syntaxError(src []byte) *json.SyntaxError {
	return syntaxErrorFrom(src, 4<<10)
}

// syntaxErrorFrom is syntaxError reading windows of src that start at its
// first byte and double from n bytes. json.Indent grows its output to twice
// its input first, and a module's memory never shrinks: a window holds that
// to about four times the offset of the error instead of twice the body, and
// the scans add up to at most twice one scan of the body.
func syntaxErrorFrom(src []byte, n int) *json.SyntaxError {
	var buf bytes.Buffer
	for n = min(max(n, 1), len(src)); ; n = min(2*n, len(src)) {
		buf.Reset()
		var se *json.SyntaxError
		if errors.As(json.Indent(&buf, src[:n], "", ""), &se) {
			// The scanner reads a window as it reads the start of src. An
			// error at an offset below the window's end is the body's first;
			// one at its end may be only the window's end.
			if int(se.Offset) < n || n == len(src) {
				return se
			}
		} else if n == len(src) {
			return nil
		}
	}
}

// keepRaw puts the callback body, compacted, into ev.Raw for an event no
// dialect understood.
//
// The raw body is embedded in the canonical JSON, so it must be valid JSON,
// which the lexer does not fully check in values it skips (numbers such as
// 000). Only unknown events pay for the check.
func (d *Decoder) keepRaw(ev *Event, dialect Dialect) error {
	src := d.src
	if !json.Valid(src) {
		e := errNoOffset(CodeNotJSON, dialect, "", "the body is not valid JSON")
		if se := syntaxError(src); se != nil {
			e.Offset = int(se.Offset)
			e.Detail = ownString(se.Error())
		}
		return e
	}
	start := len(d.arena)
	d.arena = appendCompact(d.arena, src[skipSpace(src, 0):trimRight(src)])
	ev.Raw = d.arena[start:len(d.arena):len(d.arena)]
	return nil
}

// valueStart returns the offset in d.src of the value whose key the lexer
// has just read. The lexer has not yet read the ':' (it consumes separators
// when it fetches the next token): the value starts after both.
func (d *Decoder) valueStart() int {
	start := skipSpace(d.src, d.lex.GetPos())
	if start < len(d.src) && d.src[start] == ':' {
		start = skipSpace(d.src, start+1)
	}
	return start
}

// decodeData decodes the "data" value at the lexer's position as dialect as's
// data object, recording its span for a possible second decode.
func (d *Decoder) decodeData(as Dialect) {
	l, env := &d.lex, &d.env
	start := d.valueStart()
	if l.IsNull() {
		l.Skip()
		return
	}
	env.hasData = true
	env.dataAs = as
	env.dataStart = start
	switch as {
	case Eyun:
		env.eyun.read(l)
	case DLL:
		env.dll.read(l)
	default:
		// No dialect known yet: only keep the span.
		l.SkipRecursive()
	}
	env.dataEnd = l.GetPos()
}

// decodeGeweData decodes GeWe's "Data" value at the lexer's position, recording
// its span (hashed into the dedup key of events without a message id).
func (d *Decoder) decodeGeweData() {
	l, env := &d.lex, &d.env
	start := d.valueStart()
	if l.IsNull() {
		l.Skip()
		return
	}
	env.hasGewe = true
	env.geweStart = start
	env.gewe.read(l)
	env.geweEnd = l.GetPos()
}

// redecodeData decodes the recorded data span as dialect as. Errors are left
// in d.lex.
func (d *Decoder) redecodeData(as Dialect) {
	env := &d.env
	d.lex = jlexer.Lexer{Data: d.src[env.dataStart:env.dataEnd]}
	env.dataAs = as
	switch as {
	case Eyun:
		env.eyun = eyunData{}
		env.eyun.read(&d.lex)
	case DLL:
		env.dll = dllData{}
		env.dll.read(&d.lex)
	default:
		d.lex.SkipRecursive()
	}
	if d.lex.Error() != nil {
		return
	}
	// Errors found while decoding the span report offsets in src.
	d.lex.Consumed()
}

// lexError turns a lexer error into an *Error naming the top-level field
// being read and the byte offset in src (base is where the lexed span starts).
// A value of the wrong JSON type is bad_field; anything else is a syntax
// error, not_json.
func lexError(err error, dialect Dialect, field string, src []byte, base int) *Error {
	e := errNoOffset(CodeNotJSON, dialect, ownString(field), err.Error())
	le, ok := err.(*jlexer.LexerError)
	if !ok {
		return e
	}
	e.Offset = base + le.Offset
	e.Detail = le.Reason
	if strings.HasPrefix(le.Reason, "expected ") && field != "" {
		e.Code = CodeBadField
	}
	if e.Offset >= 0 && e.Offset <= len(src) {
		// easyjson's own context snippet is not always taken at the offset.
		end := min(e.Offset+24, len(src))
		snippet := src[e.Offset:end]
		for !utf8.Valid(snippet) && len(snippet) > 0 {
			snippet = snippet[:len(snippet)-1]
		}
		if len(snippet) > 0 {
			e.Detail += " at '" + string(snippet) + "'"
		} else if e.Offset == len(src) {
			e.Detail += " at end of input"
		}
	}
	e.Detail = ownString(e.Detail)
	return e
}

// ownString copies s, which may alias the caller's input, into memory the
// error owns, as valid UTF-8: an error outlives the input buffer, and its
// canonical JSON must read back to the same bytes in every engine.
func ownString(s string) string {
	return strings.ToValidUTF8(strings.Clone(s), "\uFFFD")
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func trimRight(b []byte) int {
	n := len(b)
	for n > 0 && (b[n-1] == ' ' || b[n-1] == '\t' || b[n-1] == '\n' || b[n-1] == '\r') {
		n--
	}
	return n
}
