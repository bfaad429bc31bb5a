package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/wxhook/wxhook/decoder"
)

// generate returns n deterministic mutations of the fixtures: the same seed
// always gives the same payloads, and the first k of n are the payloads of
// generate(fs, k, seed), so a failure is reproducible by name at any size.
func generate(fs []Case, n int, seed uint64) []Case {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cs := make([]Case, 0, n)
	for i := 0; len(cs) < n; i++ {
		f := fs[r.IntN(len(fs))]
		body, how := mutate(r, f.Body, fs)
		d := f.Dialect
		switch x := r.IntN(20); {
		case x < 5:
			d = decoder.Auto
		case x < 8:
			d = decoder.Dialect(r.IntN(4))
		}
		cs = append(cs, Case{Name: fmt.Sprintf("gen/%05d", i), Dialect: d, Body: body, From: f.Name + ":" + how})
	}
	return cs
}

// tokens are inserted at random places: JSON syntax, numbers beyond int64
// and float64, escapes of odd code points, XML fragments, raw bad UTF-8.
var tokens = []string{
	`"`, `\`, `{`, `}`, `[`, `]`, `,`, `:`, `null`, `true`, `-0`, `1e309`, `-1`,
	`99999999999999999999999`, `18446744073709551616`, `9223372036854775808`, `2006476515498498487`,
	`\u0000`, `\ud800`, `\udc00\ud800`, `\u2005`, `\u202e`, `\ufeff`, `\"`, `\\`, `\/`, `\x`,
	"\xff", "\xc3", "\xed\xa0\x80", "\xef\xbb\xbf", "😀", "\u2005", "\x00",
	`<`, `>`, `&`, `&amp;`, `&#0;`, `&bogus;`, `<msg>`, `</msg>`, `<![CDATA[`, `]]>`, `-->`, `<!--`,
	`<appmsg><type>57</type>`, `<?xml version="1.0"?>`, `wxid_a:\n`,
}

// mutate applies one or two mutations and names them.
func mutate(r *rand.Rand, src []byte, fs []Case) ([]byte, string) {
	b := append([]byte(nil), src...)
	var names []string
	for k := 1 + r.IntN(4)/3; k > 0; k-- { // mostly one mutation: keep many bodies decodable
		var how string
		b, how = mutateOnce(r, b, fs)
		names = append(names, how)
	}
	return b, strings.Join(names, "+")
}

func mutateOnce(r *rand.Rand, b []byte, fs []Case) ([]byte, string) {
	if len(b) == 0 {
		return []byte(tokens[r.IntN(len(tokens))]), "token"
	}
	switch r.IntN(18) { // byte-level mutations in 5 of 18 cases, structural ones otherwise
	case 0:
		return b[:r.IntN(len(b))], "truncate"
	case 1:
		i := r.IntN(len(b))
		const set = "\"\\{}[],:0<>&\x00\xff\xc3 a9"
		b[i] = set[r.IntN(len(set))]
		return b, "byte"
	case 2:
		i := r.IntN(len(b))
		j := i + r.IntN(min(len(b)-i, 64)+1)
		return append(b[:i:i], b[j:]...), "cut"
	case 3:
		i := r.IntN(len(b) + 1)
		t := tokens[r.IntN(len(tokens))]
		return append(append(append([]byte(nil), b[:i]...), t...), b[i:]...), "insert"
	case 4:
		o := fs[r.IntN(len(fs))].Body
		return append(append([]byte(nil), b[:r.IntN(len(b)+1)]...), o[r.IntN(len(o)+1):]...), "splice"
	}
	// Structural mutations on the parsed document.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		i := r.IntN(len(b) + 1)
		return append(append(append([]byte(nil), b[:i]...), tokens[r.IntN(len(tokens))]...), b[i:]...), "insert"
	}
	var slots []slot
	collect(func() any { return doc }, func(v any) { doc = v }, &slots)
	sl := slots[r.IntN(len(slots))]
	how := "json"
	switch r.IntN(7) {
	case 0: // wrong type
		how = "wrongtype"
		switch v := sl.get().(type) {
		case string:
			sl.set([]any{v})
		case json.Number:
			sl.set(string(v))
		case map[string]any:
			sl.set("{}")
		case []any:
			sl.set(map[string]any{"0": v})
		default:
			sl.set(json.Number("0"))
		}
	case 1: // huge or odd numbers, as numbers and as strings
		how = "hugeid"
		nums := []string{"123456789012345678901234567890", "-9223372036854775809", "18446744073709551615",
			"1.5e300", "0.000001", "-0", "1E2", "2006476515498498487", "9007199254740993"}
		s := nums[r.IntN(len(nums))]
		if r.IntN(2) == 0 {
			sl.set(json.Number(s))
		} else {
			sl.set(s)
		}
	case 2: // odd unicode
		how = "unicode"
		odd := []string{"\u2005", "\u202e", "\ufeff", "😀👨‍👩‍👧", "\u0000", "a\u2028b", "e\u0301", "\U0010ffff", "文本"}
		s, _ := sl.get().(string)
		sl.set(s + odd[r.IntN(len(odd))])
	case 3: // deep nesting
		how = "deep"
		n := 1 + r.IntN(3000)
		opener, closer := "[", "]"
		if r.IntN(2) == 0 {
			opener, closer = `{"a":`, "}"
		}
		sl.set(json.RawMessage(strings.Repeat(opener, n) + "1" + strings.Repeat(closer, n)))
	case 4: // null or drop
		how = "null"
		sl.set(nil)
	default: // broken XML inside any XML-looking string, else a key change
		how = "xml"
		if !breakXML(r, slots) {
			how = "key"
			if m, ok := doc.(map[string]any); ok {
				if ks := sortedKeys(m); len(ks) > 0 {
					k := ks[r.IntN(len(ks))]
					v := m[k]
					delete(m, k)
					m[k+"_"] = v
				}
			}
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return b, how + "(unencodable)"
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), how
}

// slot is one value of a parsed document that a mutation may replace.
type slot struct {
	get func() any
	set func(any)
}

// collect records every value of the document (the root included).
func collect(get func() any, set func(any), out *[]slot) {
	*out = append(*out, slot{get, set})
	switch x := get().(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) { // in order: the same seed must give the same slots
			collect(func() any { return x[k] }, func(v any) { x[k] = v }, out)
		}
	case []any:
		for i := range x {
			collect(func() any { return x[i] }, func(v any) { x[i] = v }, out)
		}
	}
}

// breakXML damages one string of the document that holds XML; it reports
// false when there is none.
func breakXML(r *rand.Rand, slots []slot) bool {
	var xs []slot
	for _, s := range slots {
		if v, ok := s.get().(string); ok && strings.Contains(v, "<") {
			xs = append(xs, s)
		}
	}
	if len(xs) == 0 {
		return false
	}
	s := xs[r.IntN(len(xs))]
	v := s.get().(string)
	switch r.IntN(8) {
	case 0: // truncated
		v = v[:r.IntN(len(v))]
	case 1: // a closing tag lost
		if i := strings.Index(v, "</"); i >= 0 {
			if j := strings.IndexByte(v[i:], '>'); j >= 0 {
				v = v[:i] + v[i+j+1:]
			}
		}
	case 2: // stray comment end, as real payloads have
		i := r.IntN(len(v) + 1)
		v = v[:i] + " -->" + v[i:]
	case 3: // attribute quotes broken
		v = strings.Replace(v, `="`, `= '`, 1+r.IntN(3))
	case 4: // a CDATA section opened and never closed
		i := r.IntN(len(v) + 1)
		v = v[:i] + "<![CDATA[" + v[i:]
	case 5: // bad entities
		v = strings.Replace(v, "&", "&bogus;&#xffffff;", -1) + "&lt"
	case 6: // elements duplicated (a subtree repeated)
		i, j := r.IntN(len(v)+1), r.IntN(len(v)+1)
		if i > j {
			i, j = j, i
		}
		v = v[:j] + v[i:j] + v[j:]
	default: // XML escaped inside XML, deeper
		v = "<msg><appmsg><type>57</type><refermsg><content>" +
			strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(v) +
			"</content></refermsg></appmsg></msg>"
	}
	s.set(v)
	return true
}

// sortedKeys returns m's keys in order. Go's map order is random; the
// generator must not depend on it.
func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
