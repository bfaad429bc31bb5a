package xmlflat

import (
	"strings"
	"unicode/utf8"
)

// Reasons of the fast path. Those starting with "refused" are constructs
// xmlquery may accept; the others are XML that xmlquery rejects too (or
// documents over a limit, which ParseXMLQuery rejects as well).
const (
	errEOF        = "unexpected end of input"
	errNoElement  = "no element"
	errName       = "refused: element or attribute name outside [A-Za-z_][A-Za-z0-9_.-]*"
	errXMLNS      = "refused: namespace declaration"
	errDirective  = "refused: DOCTYPE or other <! directive"
	errPI         = "refused: processing instruction"
	errDecl       = "refused: XML declaration with a version or encoding other than 1.0 / UTF-8"
	errBadTag     = "malformed tag"
	errEndTag     = "end tag does not match the open element"
	errStrayEnd   = "end tag without an open element"
	errAttrValue  = "unquoted attribute value or '<' inside one"
	errEntity     = "invalid character reference or entity"
	errUTF8       = "invalid UTF-8"
	errChar       = "character not allowed in XML"
	errCDATAEnd   = "']]>' in character data"
	errComment    = "'--' inside a comment"
	errDepth      = "nesting deeper than MaxDepth"
	errTooMany    = "more than MaxNodes elements"
	errTooManyAtt = "more than MaxAttrs attributes on one element"
)

// Parse reads src into d with the fast path, replacing d's previous content.
// It never writes into src, and d's strings alias src: src must stay
// unchanged while d is used. On failure d is empty and the error is an
// *Error owned by d (valid until the next call on d).
func (d *Doc) Parse(src []byte) error {
	d.Reset()
	if pos, reason := d.parse(src); reason != "" {
		d.Reset()
		d.err = Error{Offset: pos, Reason: reason, Refused: strings.HasPrefix(reason, "refused")}
		return &d.err
	}
	d.src = src
	d.finish()
	return nil
}

// parse scans src; it returns the offset and reason of the first problem.
func (d *Doc) parse(src []byte) (int, string) {
	n := len(src)
	cur := int32(-1) // the open element
	depth := int32(0)
	i := 0
	for i < n {
		if src[i] != '<' {
			end, pos, reason := scanText(src, i)
			if reason != "" {
				return pos, reason
			}
			d.addPiece(cur, i, end, textFlags(src[i:end]))
			i = end
			continue
		}
		if i+1 >= n {
			return n, errEOF
		}
		switch src[i+1] {
		case '/':
			j, name, reason := scanName(src, i+2)
			if reason != "" {
				return j, reason
			}
			j = skipSpace(src, j)
			if j >= n {
				return n, errEOF
			}
			if src[j] != '>' {
				return j, errBadTag
			}
			if cur < 0 {
				return i, errStrayEnd
			}
			if d.Nodes[cur].Name != str(name) {
				return i, errEndTag
			}
			d.Nodes[cur].End = int32(len(d.Nodes))
			cur = d.Nodes[cur].Parent
			depth--
			i = j + 1
		case '?':
			j, reason := d.scanPI(src, i)
			if reason != "" {
				return j, reason
			}
			i = j
		case '!':
			if hasPrefix(src[i+2:], "--") {
				j, reason := scanComment(src, i+4)
				if reason != "" {
					return j, reason
				}
				i = j
				continue
			}
			if hasPrefix(src[i+2:], "[CDATA[") {
				start := i + 9
				end, pos, reason := scanCDATA(src, start)
				if reason != "" {
					return pos, reason
				}
				d.addPiece(cur, start, end, pieceCDATA|cdataFlags(src[start:end]))
				i = end + 3
				continue
			}
			if n-i < 9 && isPrefixOfMarkup(src[i+2:]) {
				return n, errEOF
			}
			return i, errDirective
		default:
			if depth >= MaxDepth {
				return i, errDepth
			}
			if len(d.Nodes) >= MaxNodes {
				return i, errTooMany
			}
			j, empty, pos, reason := d.scanStartTag(src, i, cur, depth)
			if reason != "" {
				return pos, reason
			}
			if !empty {
				cur = int32(len(d.Nodes) - 1)
				depth++
			}
			i = j
		}
	}
	if cur >= 0 {
		return n, errEOF
	}
	if len(d.Nodes) == 0 {
		return n, errNoElement
	}
	return 0, ""
}

// isPrefixOfMarkup reports whether b could still become "--" or "[CDATA[":
// the input ended inside "<!…", which is an EOF error, not a directive.
func isPrefixOfMarkup(b []byte) bool {
	return strings.HasPrefix("--", str(b)) || strings.HasPrefix("[CDATA[", str(b))
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(src []byte, i int) int {
	for i < len(src) && isSpace(src[i]) {
		i++
	}
	return i
}

// nameByte reports the bytes encoding/xml reads as part of a name. Bytes
// >= 0x80 belong to names too; the fast path refuses them (and ':') rather
// than reproduce Unicode name tables and namespace translation.
func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80
}

// scanName reads a name at src[i:]; it returns the index after it.
func scanName(src []byte, i int) (int, []byte, string) {
	start := i
	for i < len(src) && nameByte(src[i]) {
		c := src[i]
		if c == ':' || c >= 0x80 {
			return i, nil, errName
		}
		i++
	}
	if i == start {
		if i >= len(src) {
			return i, nil, errEOF
		}
		return i, nil, errBadTag
	}
	if c := src[start]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_') {
		return start, nil, errName
	}
	if i >= len(src) {
		return i, nil, errEOF
	}
	return i, src[start:i], ""
}

// scanStartTag reads "<name attr='v' …>" or "…/>" at src[i] and appends the
// node. It returns the index after the tag and whether it was empty.
func (d *Doc) scanStartTag(src []byte, i int, parent, depth int32) (int, bool, int, string) {
	j, name, reason := scanName(src, i+1)
	if reason != "" {
		return 0, false, j, reason
	}
	idx := int32(len(d.Nodes))
	d.Nodes = append(d.Nodes, Node{
		Name: str(name), Parent: parent, Depth: depth,
		AttrStart: int32(len(d.Attrs)), End: -1,
	})
	d.texts = append(d.texts, textList{first: -1, last: -1})
	n := len(src)
	for {
		j = skipSpace(src, j)
		if j >= n {
			return 0, false, n, errEOF
		}
		switch src[j] {
		case '>':
			d.Nodes[idx].AttrEnd = int32(len(d.Attrs))
			return j + 1, false, 0, ""
		case '/':
			if j+1 >= n {
				return 0, false, n, errEOF
			}
			if src[j+1] != '>' {
				return 0, false, j, errBadTag
			}
			d.Nodes[idx].AttrEnd = int32(len(d.Attrs))
			d.Nodes[idx].End = idx + 1
			return j + 2, true, 0, ""
		}
		k, aname, reason := scanName(src, j)
		if reason != "" {
			return 0, false, k, reason
		}
		if str(aname) == "xmlns" {
			return 0, false, j, errXMLNS
		}
		if int32(len(d.Attrs))-d.Nodes[idx].AttrStart >= MaxAttrs {
			return 0, false, j, errTooManyAtt
		}
		k = skipSpace(src, k)
		if k >= n {
			return 0, false, n, errEOF
		}
		if src[k] != '=' {
			return 0, false, k, errBadTag
		}
		k = skipSpace(src, k+1)
		if k >= n {
			return 0, false, n, errEOF
		}
		q := src[k]
		if q != '"' && q != '\'' {
			return 0, false, k, errAttrValue
		}
		vs := k + 1
		ve, pos, reason := scanAttrValue(src, vs, q)
		if reason != "" {
			return 0, false, pos, reason
		}
		raw := src[vs:ve]
		val := str(raw)
		if textFlags(raw)&pieceDecode != 0 {
			off := len(d.scratch)
			d.scratch = appendDecoded(d.scratch, raw, false)
			d.fixes = append(d.fixes, fix{node: idx, attr: int32(len(d.Attrs)), off: int32(off), n: int32(len(d.scratch) - off)})
			val = ""
		}
		d.Attrs = append(d.Attrs, Attr{Name: str(aname), Value: val})
		j = ve + 1
	}
}

// scanPI reads "<?target …?>" at src[i]. Only the XML declaration can change
// how xmlquery reads the rest (version, encoding); others are ignored by
// both readers but refused here all the same: WeChat sends none.
func (d *Doc) scanPI(src []byte, i int) (int, string) {
	j, target, reason := scanName(src, i+2)
	if reason != "" {
		return j, reason
	}
	end := indexFrom(src, j, "?>")
	if end < 0 {
		return len(src), errEOF
	}
	if str(target) != "xml" {
		return i, errPI
	}
	body := str(src[j:end])
	if v := declParam(body, "version="); v != "" && v != "1.0" {
		return i, errDecl
	}
	if e := declParam(body, "encoding="); e != "" && !equalFoldASCII(e, "utf-8") {
		return i, errDecl
	}
	return end + 2, ""
}

// declParam finds key (`version=`) in an XML declaration's body and returns
// the quoted value after it. It follows encoding/xml's own reading exactly,
// including its quirks (no spaces around '=', the first occurrence followed
// by a quote wins), because only that reading decides what xmlquery does.
func declParam(body, key string) string {
	for i := 0; i < len(body); {
		k := indexString(body[i:], key)
		if k < 0 || i+k+len(key) >= len(body) {
			return ""
		}
		q := body[i+k+len(key)]
		i += k + len(key) + 1
		if q == '"' || q == '\'' {
			for j := i; j < len(body); j++ {
				if body[j] == q {
					return body[i:j]
				}
			}
			return ""
		}
	}
	return ""
}

func indexString(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func indexFrom(src []byte, i int, sub string) int {
	if i > len(src) {
		return -1
	}
	if k := indexString(str(src[i:]), sub); k >= 0 {
		return i + k
	}
	return -1
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// scanComment reads a comment body from src[i] (after "<!--"). As in XML,
// the first "--" must be the start of "-->".
func scanComment(src []byte, i int) (int, string) {
	k := indexFrom(src, i, "--")
	if k < 0 {
		return len(src), errEOF
	}
	if k+2 >= len(src) {
		return len(src), errEOF
	}
	if src[k+2] != '>' {
		return k, errComment
	}
	return k + 3, ""
}

// scanCDATA reads a CDATA body from src[i] (after "<![CDATA["); it returns
// the index of the closing "]]>".
func scanCDATA(src []byte, i int) (int, int, string) {
	end := indexFrom(src, i, "]]>")
	if end < 0 {
		return 0, len(src), errEOF
	}
	if pos, reason := checkChars(src, i, end); reason != "" {
		return 0, pos, reason
	}
	return end, 0, ""
}

// scanText reads character data from src[i] up to the next '<' or the end,
// checking entities and characters as encoding/xml does.
func scanText(src []byte, i int) (int, int, string) {
	start := i
	for i < len(src) {
		switch c := src[i]; {
		case c == '<':
			return i, 0, ""
		case c == '&':
			j, _, ok := entity(src, i)
			if !ok {
				return 0, i, errEntity
			}
			i = j
			start = i // "]]>" is checked on raw bytes not split by entities
		case c == '>' && i-start >= 2 && src[i-1] == ']' && src[i-2] == ']':
			return 0, i - 2, errCDATAEnd
		case c < utf8.RuneSelf:
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return 0, i, errChar
			}
			i++
		default:
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, i, errUTF8
			}
			if !charOK(r) {
				return 0, i, errChar
			}
			i += size
		}
	}
	return i, 0, ""
}

// scanAttrValue reads a quoted attribute value from src[i] up to the quote q;
// it returns the index of the closing quote.
func scanAttrValue(src []byte, i int, q byte) (int, int, string) {
	for i < len(src) {
		switch c := src[i]; {
		case c == q:
			return i, 0, ""
		case c == '<':
			return 0, i, errAttrValue
		case c == '&':
			j, _, ok := entity(src, i)
			if !ok {
				return 0, i, errEntity
			}
			i = j
		case c < utf8.RuneSelf:
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return 0, i, errChar
			}
			i++
		default:
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, i, errUTF8
			}
			if !charOK(r) {
				return 0, i, errChar
			}
			i += size
		}
	}
	return 0, len(src), errEOF
}

// checkChars checks that src[i:end] is UTF-8 of characters XML allows.
func checkChars(src []byte, i, end int) (int, string) {
	for i < end {
		c := src[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i, errChar
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:end])
		if r == utf8.RuneError && size == 1 {
			return i, errUTF8
		}
		if !charOK(r) {
			return i, errChar
		}
		i += size
	}
	return 0, ""
}

// charOK is XML's Char production.
func charOK(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// entity reads "&…;" at src[i]: one of the five predefined entities or a
// character reference "&#NN;" / "&#xHH;" (lower-case x, as encoding/xml
// wants). It returns the index after ';' and the rune.
func entity(src []byte, i int) (int, rune, bool) {
	j := i + 1
	if j < len(src) && src[j] == '#' {
		j++
		base := rune(10)
		if j < len(src) && src[j] == 'x' {
			base = 16
			j++
		}
		var r rune
		digits := 0
		for ; j < len(src); j++ {
			c := src[j]
			var v rune
			switch {
			case '0' <= c && c <= '9':
				v = rune(c - '0')
			case base == 16 && 'a' <= c && c <= 'f':
				v = rune(c-'a') + 10
			case base == 16 && 'A' <= c && c <= 'F':
				v = rune(c-'A') + 10
			default:
				v = -1
			}
			if v < 0 {
				break
			}
			r = r*base + v
			if r > utf8.MaxRune {
				return 0, 0, false
			}
			digits++
		}
		if digits == 0 || j >= len(src) || src[j] != ';' {
			return 0, 0, false
		}
		// A surrogate code point becomes U+FFFD, which is allowed.
		if r >= 0xD800 && r <= 0xDFFF {
			r = utf8.RuneError
		}
		if !charOK(r) {
			return 0, 0, false
		}
		return j + 1, r, true
	}
	k := j
	for k < len(src) && k-j < 5 && src[k] != ';' {
		k++
	}
	if k >= len(src) || src[k] != ';' {
		return 0, 0, false
	}
	var r rune
	switch str(src[j:k]) {
	case "lt":
		r = '<'
	case "gt":
		r = '>'
	case "amp":
		r = '&'
	case "apos":
		r = '\''
	case "quot":
		r = '"'
	default:
		return 0, 0, false
	}
	return k + 1, r, true
}

// textFlags says whether raw character data must be rewritten.
func textFlags(raw []byte) uint8 {
	for _, c := range raw {
		if c == '&' || c == '\r' {
			return pieceDecode
		}
	}
	return 0
}

func cdataFlags(raw []byte) uint8 {
	for _, c := range raw {
		if c == '\r' {
			return pieceDecode
		}
	}
	return 0
}

// appendDecoded appends raw (already validated) with entities decoded
// (unless cdata) and "\r\n" / "\r" turned into "\n".
func appendDecoded(dst, raw []byte, cdata bool) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '&' && !cdata:
			j, r, ok := entity(raw, i)
			if !ok { // cannot happen: raw was validated
				dst = append(dst, c)
				i++
				continue
			}
			dst = utf8.AppendRune(dst, r)
			i = j
		case c == '\r':
			dst = append(dst, '\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

// addPiece records src[start:end] as character data of node (ignored for
// text outside any element, which the flattening has no place for).
func (d *Doc) addPiece(node int32, start, end int, flags uint8) {
	if node < 0 || end <= start {
		return
	}
	p := int32(len(d.pieces))
	d.pieces = append(d.pieces, piece{start: int32(start), end: int32(end), next: -1, flags: flags})
	t := &d.texts[node]
	if t.first < 0 {
		t.first = p
	} else {
		d.pieces[t.last].next = p
	}
	t.last = p
}

// finish builds every node's Text: a single clean run aliases the input,
// anything else is concatenated into scratch. Strings into scratch are made
// only at the end, when scratch no longer moves.
func (d *Doc) finish() {
	for i := range d.Nodes {
		t := d.texts[i]
		if t.first < 0 {
			continue
		}
		p := d.pieces[t.first]
		if t.first == t.last && p.flags&pieceDecode == 0 {
			d.Nodes[i].Text = str(d.src[p.start:p.end])
			continue
		}
		off := len(d.scratch)
		for k := t.first; k >= 0; k = d.pieces[k].next {
			p := d.pieces[k]
			raw := d.src[p.start:p.end]
			if p.flags&pieceDecode == 0 {
				d.scratch = append(d.scratch, raw...)
			} else {
				d.scratch = appendDecoded(d.scratch, raw, p.flags&pieceCDATA != 0)
			}
		}
		d.fixes = append(d.fixes, fix{node: int32(i), attr: -1, off: int32(off), n: int32(len(d.scratch) - off)})
	}
	for _, f := range d.fixes {
		s := str(d.scratch[f.off : f.off+f.n])
		if f.attr < 0 {
			d.Nodes[f.node].Text = s
		} else {
			d.Attrs[f.attr].Value = s
		}
	}
}
