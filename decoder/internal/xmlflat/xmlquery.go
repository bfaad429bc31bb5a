package xmlflat

import (
	"bytes"
	"strings"

	"github.com/antchfx/xmlquery"
)

// ParseXMLQuery reads src into d with github.com/antchfx/xmlquery, giving the
// same flattening as Parse for every document Parse accepts, and also the
// documents Parse refuses that xmlquery can read (DOCTYPE, declared non-UTF-8
// encodings, namespaces, non-ASCII names). It allocates. Names with a
// namespace prefix keep it ("prefix:local"); errors have Offset -1 because
// encoding/xml reports lines, not offsets.
func (d *Doc) ParseXMLQuery(src []byte) (err error) {
	d.Reset()
	// xmlquery and the charset readers it plugs into encoding/xml are not
	// ours: whatever they do on hostile input must not take a server down.
	defer func() {
		if r := recover(); r != nil {
			d.Reset()
			d.err = Error{Offset: -1, Reason: "xmlquery panicked"}
			err = &d.err
		}
	}()
	if bytes.Count(src, []byte{'<'}) > MaxFallbackMarkup {
		d.err = Error{Offset: -1, Reason: "more than MaxFallbackMarkup tags for xmlquery"}
		return &d.err
	}
	root, err := xmlquery.Parse(bytes.NewReader(src))
	if err != nil {
		d.err = Error{Offset: -1, Reason: err.Error()}
		return &d.err
	}
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmlquery.ElementNode {
			if reason := d.addTree(c, -1, 0); reason != "" {
				d.Reset()
				d.err = Error{Offset: -1, Reason: reason}
				return &d.err
			}
		}
	}
	if len(d.Nodes) == 0 { // xmlquery checks this too; keep the invariant local
		d.err = Error{Offset: -1, Reason: errNoElement}
		return &d.err
	}
	return nil
}

// addTree appends element n and its descendants, enforcing Parse's limits.
func (d *Doc) addTree(n *xmlquery.Node, parent, depth int32) string {
	if depth >= MaxDepth {
		return errDepth
	}
	if len(d.Nodes) >= MaxNodes {
		return errTooMany
	}
	if len(n.Attr) > MaxAttrs {
		return errTooManyAtt
	}
	idx := int32(len(d.Nodes))
	name := n.Data
	if n.Prefix != "" {
		name = n.Prefix + ":" + name
	}
	d.Nodes = append(d.Nodes, Node{Name: name, Parent: parent, Depth: depth, AttrStart: int32(len(d.Attrs))})
	for _, a := range n.Attr {
		an := a.Name.Local
		if a.Name.Space != "" {
			an = a.Name.Space + ":" + an
		}
		d.Attrs = append(d.Attrs, Attr{Name: an, Value: a.Value})
	}
	d.Nodes[idx].AttrEnd = int32(len(d.Attrs))
	var text strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case xmlquery.TextNode, xmlquery.CharDataNode:
			text.WriteString(c.Data)
		case xmlquery.ElementNode:
			if reason := d.addTree(c, idx, depth+1); reason != "" {
				return reason
			}
		}
	}
	d.Nodes[idx].Text = text.String()
	d.Nodes[idx].End = int32(len(d.Nodes))
	return ""
}

// ParseAny reads src with Parse and, when Parse refused a construct it does
// not handle (Error.Refused), with ParseXMLQuery. Malformed input is not
// handed to xmlquery: it would fail there too, only slower and allocating.
// When the fallback fails, the error is xmlquery's verdict with the byte
// offset where Parse stopped.
func (d *Doc) ParseAny(src []byte) error {
	err := d.Parse(src)
	if err == nil || !d.err.Refused {
		return err
	}
	off := d.err.Offset
	if err := d.ParseXMLQuery(src); err != nil {
		d.err.Offset = off
		return &d.err
	}
	return nil
}
