package decoder

import (
	"bytes"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// Meta is what a caller routing events needs without parsing the canonical
// JSON again: the vendor, the kind, the de-duplication key and the account.
type Meta struct {
	Vendor Dialect
	Kind   Kind
	// DedupKey aliases the buffer returned by AppendDecode: it is valid as
	// long as that buffer is. Dedup keys use only [A-Za-z0-9@._:*+%-], so
	// they appear verbatim inside the canonical JSON.
	DedupKey []byte
	// Account is the event's "account" (the bot's own account) as written
	// in the canonical JSON: its JSON-escaped bytes, without the quotes
	// (accounts are plain ASCII in practice, so escaping changes nothing).
	// It aliases the buffer returned by AppendDecode, as DedupKey does, and
	// is empty when the event has no account.
	Account []byte
}

// Decoder decodes vendor callbacks. The zero value is ready to use. A Decoder
// is not safe for concurrent use; keep one per goroutine (or pool them).
type Decoder struct {
	lex jlexer.Lexer
	src []byte       // the callback being decoded
	env envelope     // its top-level fields
	sub jlexer.Lexer // for nested JSON (arrays, JSON inside strings)

	// The first problem found while reading fields, and where.
	err        *Error
	dialect    Dialect
	inContent  bool // reading nested content: problems are bad_content
	contentOff int  // offset of that content string in src
	wc         wecomContent
	arena      []byte // unescaped strings of the current call
	w          jwriter.Writer
	out        []byte // canonical JSON of the current call
	ev         Event  // used by AppendDecode
	xml        xmlScratch
}

// Decode decodes one callback body into ev. With dialect Auto the dialect is
// detected from the top-level keys during the same pass. Errors are *Error.
//
// ev's strings alias src and d's scratch memory until the next call on d.
func (d *Decoder) Decode(src []byte, dialect Dialect, ev *Event) error {
	ev.Reset()
	d.arena = d.arena[:0]
	d.err, d.inContent, d.contentOff = nil, false, 0
	err := d.decode(src, dialect, ev)
	d.src = nil
	if err != nil {
		ev.Reset()
		return err
	}
	return nil
}

// AppendDecode decodes src and appends its canonical JSON (no trailing
// newline) to dst. On error it returns dst unchanged and an *Error whose
// AppendJSON gives the canonical error JSON.
func (d *Decoder) AppendDecode(dst, src []byte, dialect Dialect) ([]byte, Meta, error) {
	if err := d.Decode(src, dialect, &d.ev); err != nil {
		return dst, Meta{}, err
	}
	start := len(dst)
	dst = append(dst, d.marshal(&d.ev)...)
	return dst, d.ev.meta(dst[start:]), nil
}

// marshal writes ev's canonical JSON into d.out and returns it.
//
// The writer is seeded with d.out rather than the caller's dst on purpose:
// when easyjson's buffer spills into chunks it hands the first chunk to its
// global sync.Pool if the chunk's capacity is one of its size classes (powers
// of two), and a caller's buffer must never end up there. d.out always has an
// odd capacity, which no size class has, and is grown once on a spill so the
// steady state writes into one chunk without allocating.
func (d *Decoder) marshal(ev *Event) []byte {
	if cap(d.out) == 0 {
		d.out = make([]byte, 0, 4097)
	}
	d.w = jwriter.Writer{Flags: jwriter.NilSliceAsEmpty, NoEscapeHTML: true}
	d.w.Buffer.Buf = d.out[:0]
	ev.MarshalEasyJSON(&d.w)
	if n := d.w.Buffer.Size(); n != len(d.w.Buffer.Buf) {
		d.out = d.w.Buffer.BuildBytes(make([]byte, 0, 2*n+1))
	} else {
		d.out = d.w.Buffer.Buf
	}
	d.w = jwriter.Writer{}
	return d.out
}

// AppendJSON appends the canonical JSON of ev to dst. It allocates; the
// zero-allocation path is Decoder.AppendDecode.
func (ev *Event) AppendJSON(dst []byte) []byte {
	w := jwriter.Writer{Flags: jwriter.NilSliceAsEmpty, NoEscapeHTML: true}
	ev.MarshalEasyJSON(&w)
	return append(dst, w.Buffer.BuildBytes()...)
}

// meta locates the dedup key inside the canonical JSON js of ev.
func (ev *Event) meta(js []byte) Meta {
	m := Meta{Vendor: ev.Vendor, Kind: ev.Kind}
	// "dedup_key":" is written after vendor, kind, chat and id; its value
	// has no characters JSON escapes, so the bytes are ev.DedupKey's.
	// The fields before it are known, and escaping only lengthens the id,
	// so the search starts right before the dedup key (bytes.Index has no
	// fast path in the WebAssembly build: it pays for every byte it passes).
	// When the id needed no escaping, the field is exactly where an
	// unescaped id puts it, and one comparison finds it.
	const field = `"dedup_key":"`
	skip := len(`{"vendor":"","kind":"","chat":"","id":`) + len(ev.Vendor.String()) +
		len(ev.Kind.String()) + len(ev.Chat.String()) + len(ev.ID)
	if skip > len(js) {
		skip = 0
	}
	if i := indexAt(js, skip, skip+len(`"",`), field); i >= 0 {
		s := i + len(field)
		m.DedupKey = js[s : s+len(ev.DedupKey) : s+len(ev.DedupKey)]
		skip = s + len(ev.DedupKey)
	}
	// "account":" follows "time" (a number), a few bytes further: no
	// string value lies between, so the first match is the field.
	const afield = `"account":"`
	if i := indexAt(js, skip, skip+len(`","time":,`)+intLen(ev.Time), afield); i >= 0 {
		s := i + len(afield)
		e := s + len(ev.Account)
		if plainPrefix(ev.Account) != len(ev.Account) || e >= len(js) || js[e] != '"' {
			// Escaped: find the end of the string as written.
			e = stringEnd(js, s)
		}
		if e > s {
			m.Account = js[s:e:e]
		}
	}
	return m
}

// indexAt returns the index of the first sep in js at or after from,
// checking first whether it is at guess (guess >= from), or -1.
func indexAt(js []byte, from, guess int, sep string) int {
	if guess+len(sep) <= len(js) && string(js[guess:guess+len(sep)]) == sep {
		return guess
	}
	if i := bytes.Index(js[from:], []byte(sep)); i >= 0 {
		return from + i
	}
	return -1
}

// intLen is the length of n in decimal.
func intLen(n int64) int {
	l := 1
	if n < 0 {
		l++
	}
	for n <= -10 || n >= 10 {
		n /= 10
		l++
	}
	return l
}

// stringEnd returns the index of the quote that ends the JSON string whose
// contents start at js[s], or -1.
func stringEnd(js []byte, s int) int {
	for j := s; j < len(js); j++ {
		switch js[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

// AppendJSON appends the canonical error JSON {"error":{...}} to dst.
func (e *Error) AppendJSON(dst []byte) []byte {
	w := jwriter.Writer{NoEscapeHTML: true}
	env := errorEnvelope{Error: e}
	env.MarshalEasyJSON(&w)
	return append(dst, w.Buffer.BuildBytes()...)
}

// ParseErrorJSON reads a canonical error JSON back into an *Error. Engines
// that run the decoder elsewhere (WebAssembly) use it to return typed errors.
func ParseErrorJSON(b []byte) (*Error, error) {
	var env errorEnvelope
	l := jlexer.Lexer{Data: b}
	env.UnmarshalEasyJSON(&l)
	if err := l.Error(); err != nil {
		return nil, err
	}
	if env.Error == nil {
		return nil, errNoOffset(CodeNotJSON, Auto, "error", "no error object")
	}
	return env.Error, nil
}
