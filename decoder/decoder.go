package decoder

import (
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
	js, pos := d.marshal(&d.ev)
	start := len(dst)
	dst = append(dst, js...)
	m := Meta{Vendor: d.ev.Vendor, Kind: d.ev.Kind}
	// The dedup key and the account, where writeEvent wrote them: their
	// bytes as written (dedup keys have nothing JSON escapes; an escaped
	// account is given escaped).
	if k := pos.dedup; k.end > k.start {
		m.DedupKey = dst[start+k.start : start+k.end : start+k.end]
	}
	if a := pos.account; a.end > a.start {
		m.Account = dst[start+a.start : start+a.end : start+a.end]
	}
	return dst, m, nil
}

// marshal writes ev's canonical JSON into d.out and returns it, with where
// writeEvent put the dedup key and the account in it.
//
// The writer is seeded with d.out rather than the caller's dst on purpose:
// when easyjson's buffer spills into chunks it hands the first chunk to its
// global sync.Pool if the chunk's capacity is one of its size classes (powers
// of two), and a caller's buffer must never end up there. d.out always has an
// odd capacity, which no size class has, and is grown once on a spill so the
// steady state writes into one chunk without allocating.
func (d *Decoder) marshal(ev *Event) ([]byte, eventPos) {
	if cap(d.out) == 0 {
		d.out = make([]byte, 0, 4097)
	}
	d.w = jwriter.Writer{Flags: jwriter.NilSliceAsEmpty, NoEscapeHTML: true}
	d.w.Buffer.Buf = d.out[:0]
	pos := writeEvent(&d.w, ev)
	if n := d.w.Buffer.Size(); n != len(d.w.Buffer.Buf) {
		d.out = d.w.Buffer.BuildBytes(make([]byte, 0, 2*n+1))
	} else {
		d.out = d.w.Buffer.Buf
	}
	d.w = jwriter.Writer{}
	return d.out, pos
}

// AppendJSON appends the canonical JSON of ev to dst. It allocates; the
// zero-allocation path is Decoder.AppendDecode.
func (ev *Event) AppendJSON(dst []byte) []byte {
	w := jwriter.Writer{Flags: jwriter.NilSliceAsEmpty, NoEscapeHTML: true}
	ev.MarshalEasyJSON(&w)
	return append(dst, w.Buffer.BuildBytes()...)
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
