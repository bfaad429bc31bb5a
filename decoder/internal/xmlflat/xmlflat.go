// Package xmlflat reads the small XML documents WeChat puts inside message
// callbacks (image, voice, appmsg, sysmsg…) into a flat list of elements in
// document order, without allocating once a Doc has been used a few times.
//
// Two readers fill the same Doc:
//
//   - Parse is a hand-written scanner for the subset of XML that WeChat
//     payloads use. It accepts a document only when it is sure that
//     github.com/antchfx/xmlquery (encoding/xml in strict mode) would read it
//     the same way, and refuses everything else with an *Error that carries
//     the byte offset of the construct it did not accept.
//   - ParseXMLQuery builds the same flattening with xmlquery, the project's
//     XML engine. It allocates; it is the oracle of the differential fuzz test
//     and the fallback of ParseAny for what Parse refuses (DOCTYPE, non-UTF-8
//     encodings, namespaces…).
//
// The strings of a Doc alias the parsed input and the Doc's scratch memory:
// they stay valid until the next Parse on the same Doc, and only while the
// caller leaves the input bytes unchanged. Parse never writes into its input.
package xmlflat

import (
	"strings"
	"unsafe"
)

// Limits that keep every input cheap. A document over a limit is refused by
// Parse and rejected by ParseXMLQuery, so ParseAny cannot be made slow either.
const (
	// MaxDepth is the deepest element nesting accepted (root = depth 0).
	MaxDepth = 128
	// MaxNodes is the most elements one document may have.
	MaxNodes = 1 << 16
	// MaxAttrs is the most attributes one element may have.
	MaxAttrs = 256
	// MaxFallbackMarkup is the most '<' bytes a document handed to xmlquery
	// may contain. xmlquery links a text or comment node after the last
	// element by walking that element's sibling list, which is quadratic in
	// the number of such nodes; bounding the markup bounds the walk.
	MaxFallbackMarkup = 8192
)

// Node is one element. Nodes are stored in document order, so a node's
// descendants are exactly the nodes with indexes in (its index, End).
type Node struct {
	Name string
	// Parent is the index of the enclosing element, -1 for a top-level one.
	Parent int32
	// Depth is the number of enclosing elements (0 for the root).
	Depth int32
	// AttrStart and AttrEnd delimit the node's attributes in Doc.Attrs.
	AttrStart, AttrEnd int32
	// End is one past the index of the node's last descendant.
	End int32
	// Text is all character data directly inside the element (text and
	// CDATA, entities decoded, "\r\n" and "\r" turned into "\n" as XML
	// requires), concatenated in document order and not trimmed.
	Text string
}

// Attr is one attribute of an element, its value entity-decoded.
type Attr struct {
	Name, Value string
}

// Error says why a document was not read and where.
type Error struct {
	// Offset is the byte offset in the input where reading stopped.
	Offset int
	// Reason describes the problem. For errors of the fast path it is a
	// constant string (no allocation).
	Reason string
	// Refused is set when Parse stopped at a construct it does not handle
	// but that may be XML (DOCTYPE, an encoding, a namespace…): only then
	// is xmlquery asked. Otherwise the input is malformed for xmlquery too,
	// which the differential fuzz test checks.
	Refused bool
}

func (e *Error) Error() string {
	return "xmlflat: " + e.Reason + " at byte " + itoa(e.Offset)
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

// Doc is a flattened XML document. The zero value is ready; a Doc is reused
// across documents to keep its memory (Reset keeps capacity).
type Doc struct {
	Nodes []Node
	Attrs []Attr

	src     []byte
	scratch []byte     // decoded attribute values and concatenated texts
	pieces  []piece    // character data runs, in document order
	texts   []textList // per node: its pieces, parallel to Nodes
	fixes   []fix      // strings to point into scratch once it stops growing
	err     Error      // returned by Parse, so that refusing does not allocate
}

// piece is one run of character data of a node: src[start:end].
type piece struct {
	start, end int32
	next       int32 // next piece of the same node, -1 at the end
	flags      uint8
}

const (
	pieceCDATA  = 1 << iota // no entities to decode
	pieceDecode             // has '&' or '\r': must be rewritten
)

type textList struct{ first, last int32 }

// fix records a string of the Doc that lives in scratch[off:off+n]: node
// texts (attr < 0) or attribute values.
type fix struct {
	node, attr int32
	off, n     int32
}

// Reset empties d, keeping its memory.
func (d *Doc) Reset() {
	clear(d.Nodes) // drop references to the previous input
	clear(d.Attrs)
	d.Nodes = d.Nodes[:0]
	d.Attrs = d.Attrs[:0]
	d.src = nil
	d.scratch = d.scratch[:0]
	d.pieces = d.pieces[:0]
	d.texts = d.texts[:0]
	d.fixes = d.fixes[:0]
}

// Find returns the first node (in document order) whose element path is
// path, e.g. "msg/appmsg/title" for <msg><appmsg><title>, or -1.
func (d *Doc) Find(path string) int {
	last := path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		last = path[i+1:]
	}
	for i := range d.Nodes {
		if d.Nodes[i].Name == last && d.pathIs(i, path) {
			return i
		}
	}
	return -1
}

// pathIs reports whether node i's element path from the root is path.
func (d *Doc) pathIs(i int, path string) bool {
	for {
		seg := path
		j := strings.LastIndexByte(path, '/')
		if j >= 0 {
			seg = path[j+1:]
		}
		if i < 0 || d.Nodes[i].Name != seg {
			return false
		}
		i = int(d.Nodes[i].Parent)
		if j < 0 {
			return i < 0
		}
		path = path[:j]
	}
}

// Child returns the first child element of node parent named name, or -1.
// parent -1 searches the top-level elements.
func (d *Doc) Child(parent int, name string) int {
	start, end := 0, len(d.Nodes)
	if parent >= 0 {
		if parent >= len(d.Nodes) {
			return -1
		}
		start, end = parent+1, int(d.Nodes[parent].End)
	}
	for i := start; i < end; i = int(d.Nodes[i].End) {
		if d.Nodes[i].Name == name {
			return i
		}
	}
	return -1
}

// Next returns the next sibling of node that has the same name, or -1.
func (d *Doc) Next(node int) int {
	if node < 0 || node >= len(d.Nodes) {
		return -1
	}
	end := len(d.Nodes)
	if p := d.Nodes[node].Parent; p >= 0 {
		end = int(d.Nodes[p].End)
	}
	name := d.Nodes[node].Name
	for i := int(d.Nodes[node].End); i < end; i = int(d.Nodes[i].End) {
		if d.Nodes[i].Name == name {
			return i
		}
	}
	return -1
}

// Text returns the text of the node Find(path) finds, or "".
func (d *Doc) Text(path string) string {
	if i := d.Find(path); i >= 0 {
		return d.Nodes[i].Text
	}
	return ""
}

// NodeText returns the text of node i, "" when i is -1.
func (d *Doc) NodeText(i int) string {
	if i < 0 || i >= len(d.Nodes) {
		return ""
	}
	return d.Nodes[i].Text
}

// ChildText returns the text of parent's first child named name, or "".
func (d *Doc) ChildText(parent int, name string) string {
	return d.NodeText(d.Child(parent, name))
}

// Attr returns the value of node's first attribute named name, or "".
func (d *Doc) Attr(node int, name string) string {
	if node < 0 || node >= len(d.Nodes) {
		return ""
	}
	n := &d.Nodes[node]
	for _, a := range d.Attrs[n.AttrStart:n.AttrEnd] {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// AppendDump appends a canonical, unambiguous description of the document
// to dst: one line per node with its index, parent, depth, end, name,
// attributes and text, every string quoted. Two Docs are equal exactly when
// their dumps are. Used by the tests to compare readers.
func (d *Doc) AppendDump(dst []byte) []byte {
	for i, n := range d.Nodes {
		dst = appendInt(dst, i)
		dst = append(dst, ' ')
		dst = appendInt(dst, int(n.Parent))
		dst = append(dst, ' ')
		dst = appendInt(dst, int(n.Depth))
		dst = append(dst, ' ')
		dst = appendInt(dst, int(n.End))
		dst = append(dst, ' ')
		dst = appendQuoted(dst, n.Name)
		for _, a := range d.Attrs[n.AttrStart:n.AttrEnd] {
			dst = append(dst, ' ')
			dst = appendQuoted(dst, a.Name)
			dst = append(dst, '=')
			dst = appendQuoted(dst, a.Value)
		}
		dst = append(dst, " text="...)
		dst = appendQuoted(dst, n.Text)
		dst = append(dst, '\n')
	}
	return dst
}

func appendInt(dst []byte, n int) []byte { return append(dst, itoa(n)...) }

// appendQuoted writes s between quotes with '"', '\\' and bytes outside
// printable ASCII as \xNN, so that any byte string round-trips.
func appendQuoted(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c >= 0x7f:
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// str views b as a string without copying; b must not change afterwards.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
