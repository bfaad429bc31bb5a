package conformance

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/wxhook/wxhook/decoder"
)

// Record is one line of the exported corpus (NDJSON): a case and its
// expected result, for runtimes that are not Go. Body is base64 (standard
// encoding, padded) because bodies are arbitrary bytes; JSON is the
// expected canonical JSON as a string (it is always valid UTF-8).
type Record struct {
	Name     string `json:"name"`
	Dialect  string `json:"dialect"` // "auto", "wecom", "eyun", "dll"
	Body     string `json:"body"`
	OK       bool   `json:"ok"`
	JSON     string `json:"json"`
	Vendor   string `json:"vendor"`    // "" when !ok
	Kind     string `json:"kind"`      // "" when !ok
	DedupKey string `json:"dedup_key"` // "" when !ok
	Account  string `json:"account"`   // Meta.Account; "" when !ok or none
	From     string `json:"from,omitempty"`
}

// NewRecord pairs a case with its expected result.
func NewRecord(c Case, r Result) (Record, error) {
	if !utf8.Valid(r.JSON) {
		return Record{}, fmt.Errorf("conformance: %s: expected JSON is not valid UTF-8", c.Name)
	}
	rec := Record{Name: c.Name, Dialect: c.Dialect.String(), Body: base64.StdEncoding.EncodeToString(c.Body),
		OK: r.OK, JSON: string(r.JSON), From: c.From}
	if r.OK {
		rec.Vendor, rec.Kind, rec.DedupKey, rec.Account = r.Vendor.String(), r.Kind.String(), string(r.DedupKey), string(r.Account)
	}
	return rec, nil
}

// Case returns the record's case and expected result.
func (rec Record) Case() (Case, Result, error) {
	d, ok := decoder.ParseDialect(rec.Dialect)
	if !ok || rec.Dialect == "" {
		return Case{}, Result{}, fmt.Errorf("conformance: %s: unknown dialect %q", rec.Name, rec.Dialect)
	}
	body, err := base64.StdEncoding.DecodeString(rec.Body)
	if err != nil {
		return Case{}, Result{}, fmt.Errorf("conformance: %s: body: %w", rec.Name, err)
	}
	r := Result{OK: rec.OK, JSON: []byte(rec.JSON)}
	if rec.OK {
		v, ok1 := decoder.ParseDialect(rec.Vendor)
		k, ok2 := decoder.ParseKind(rec.Kind)
		if !ok1 || !ok2 {
			return Case{}, Result{}, fmt.Errorf("conformance: %s: vendor %q or kind %q unknown", rec.Name, rec.Vendor, rec.Kind)
		}
		r.Vendor, r.Kind = v, k
		if rec.DedupKey != "" {
			r.DedupKey = []byte(rec.DedupKey)
		}
		if rec.Account != "" {
			r.Account = []byte(rec.Account)
		}
	}
	return Case{Name: rec.Name, Dialect: d, Body: body, From: rec.From}, r, nil
}

// WriteNDJSON writes one Record per case, with Reference's answer, one
// JSON object a line.
func WriteNDJSON(w io.Writer, cs []Case) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, c := range cs {
		rec, err := NewRecord(c, Reference(c))
		if err != nil {
			return err
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ReadNDJSON reads what WriteNDJSON wrote.
func ReadNDJSON(r io.Reader) ([]Case, []Result, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 64<<20)
	var cs []Case
	var rs []Result
	for line := 1; sc.Scan(); line++ {
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, nil, fmt.Errorf("conformance: line %d: %w", line, err)
		}
		c, res, err := rec.Case()
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		cs = append(cs, c)
		rs = append(rs, res)
	}
	return cs, rs, sc.Err()
}
