package xmlflat

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustParse(t *testing.T, d *Doc, src string) {
	t.Helper()
	if err := d.Parse([]byte(src)); err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
}

func TestImage(t *testing.T) {
	var d Doc
	mustParse(t, &d, seedImage)
	img := d.Find("msg/img")
	if img != 1 || d.Nodes[img].Parent != 0 || d.Nodes[img].Depth != 1 {
		t.Fatalf("img node = %d %+v", img, d.Nodes)
	}
	if got := d.Attr(img, "md5"); got != "6a3bd872fbdab1a48ae004c703ea68c3" {
		t.Errorf("md5 = %q", got)
	}
	if got := d.Attr(img, "hdlength"); got != "114382" {
		t.Errorf("hdlength = %q", got)
	}
	if got := d.Attr(img, "nope"); got != "" {
		t.Errorf("missing attr = %q", got)
	}
	// The stray "-->" after "/>" is text of <msg>, around the child.
	if got := d.Text("msg"); got != "\n\t -->\n" {
		t.Errorf("msg text = %q", got)
	}
	if len(d.Nodes) != 2 || d.Nodes[0].End != 2 || d.Nodes[1].End != 2 {
		t.Errorf("nodes = %+v", d.Nodes)
	}
}

func TestAppMsg(t *testing.T) {
	var d Doc
	mustParse(t, &d, seedAppMsg)
	for path, want := range map[string]string{
		"msg/appmsg/title":              "微信支付 & 你的账单",
		"msg/appmsg/des":                "本月共支出 <12> 笔",
		"msg/appmsg/type":               "5",
		"msg/appmsg/url":                "https://mp.weixin.qq.com/s?__biz=MzA3&mid=2651&idx=1&sn=4f1c",
		"msg/appmsg/appattach/totallen": "0",
		"msg/appinfo/appname":           "",
		"msg/fromusername":              "wxid_6j310kguyobz22",
		"msg/appmsg/nothing":            "",
		"appmsg/title":                  "", // paths start at the root
	} {
		if got := d.Text(path); got != want {
			t.Errorf("Text(%q) = %q, want %q", path, got, want)
		}
	}
	app := d.Child(0, "appmsg")
	if app != d.Find("msg/appmsg") || app < 0 {
		t.Fatalf("Child(msg, appmsg) = %d", app)
	}
	if got := d.NodeText(d.Child(app, "sourcedisplayname")); got != "微信支付" {
		t.Errorf("sourcedisplayname = %q", got)
	}
	// Child does not descend: <totallen> is a grandchild of <appmsg>.
	if got := d.Child(app, "totallen"); got != -1 {
		t.Errorf("Child found a grandchild: %d", got)
	}
	if got := d.Child(-1, "msg"); got != 0 {
		t.Errorf("Child(-1, msg) = %d", got)
	}
}

func TestNextSibling(t *testing.T) {
	var d Doc
	mustParse(t, &d, `<list><m>1</m><x/><m>2<m>inner</m></m><m>3</m></list>`)
	var got []string
	for i := d.Child(0, "m"); i >= 0; i = d.Next(i) {
		got = append(got, d.Nodes[i].Text)
	}
	if strings.Join(got, ",") != "1,2,3" {
		t.Errorf("siblings = %q", got)
	}
	if d.Next(-1) != -1 || d.Next(99) != -1 || d.Child(99, "m") != -1 {
		t.Error("out-of-range index not answered with -1")
	}
}

// Escaped XML inside an element is returned decoded; a second Doc reads it.
func TestEscapedXML(t *testing.T) {
	var outer, inner Doc
	mustParse(t, &outer, seedQuote)
	content := outer.Text("msg/appmsg/refermsg/content")
	sender, body, ok := strings.Cut(content, ":\n")
	if !ok || sender != "wxid_6j310kguyobz22" {
		t.Fatalf("content = %q", content)
	}
	if err := inner.Parse([]byte(body)); err != nil {
		t.Fatalf("inner: %v", err)
	}
	if got := inner.Text("msg/appmsg/title"); got != "季度报告.pdf" {
		t.Errorf("inner title = %q", got)
	}
	if got := outer.Text("msg/appmsg/refermsg/svrid"); got != "7293482751938475629" {
		t.Errorf("svrid = %q", got)
	}
}

func TestAttributeForms(t *testing.T) {
	var d Doc
	mustParse(t, &d, seedCard)
	if got := d.Attr(0, "username"); got != "v3_020b3826fd03010000000000@stranger" {
		t.Errorf("username (spaces around =, single quotes) = %q", got)
	}
	if got := d.Attr(0, "nickname"); got != "李四" {
		t.Errorf("nickname = %q", got)
	}
	mustParse(t, &d, "<a x='1\"2' y=\"a&amp;b&#x4e2d;&#25991;\r\nz\"z=''/>")
	if d.Attr(0, "x") != `1"2` || d.Attr(0, "y") != "a&b中文\nz" || d.Attr(0, "z") != "" {
		t.Errorf("attrs = %+v", d.Attrs)
	}
}

func TestSysmsgTemplate(t *testing.T) {
	var d Doc
	mustParse(t, &d, seedSysmsg)
	if got := d.Attr(0, "type"); got != "sysmsgtemplate" {
		t.Errorf("type = %q", got)
	}
	tmpl := "sysmsg/sysmsgtemplate/content_template/template"
	if got := d.Text(tmpl); got != `"$username$"邀请"$names$"加入了群聊` {
		t.Errorf("template = %q", got)
	}
	// Comments are dropped, the "..." placeholders stay.
	link := d.Find("sysmsg/sysmsgtemplate/content_template/link_list/link")
	if d.Attr(link, "name") != "username" || d.Nodes[link].Text != "..." {
		t.Errorf("link = %+v", d.Nodes[link])
	}
	if n := d.Next(link); d.Attr(n, "name") != "names" {
		t.Errorf("second link = %d", n)
	}
}

func TestTextConcatenation(t *testing.T) {
	var d Doc
	mustParse(t, &d, "<a> x <![CDATA[<y>&amp;]]><!-- c -->&lt;\r\n<b>in</b>tail\r</a>")
	if got := d.Nodes[0].Text; got != " x <y>&amp;<\ntail\n" {
		t.Errorf("text = %q", got)
	}
	if got := d.Nodes[1].Text; got != "in" {
		t.Errorf("child text = %q", got)
	}
}

// A reused Doc forgets the previous document.
func TestReuse(t *testing.T) {
	var d Doc
	mustParse(t, &d, seedAppMsg)
	mustParse(t, &d, "<a b='&lt;'>t&amp;</a>")
	if len(d.Nodes) != 1 || len(d.Attrs) != 1 || d.Attrs[0].Value != "<" || d.Nodes[0].Text != "t&" {
		t.Errorf("after reuse: %+v %+v", d.Nodes, d.Attrs)
	}
	if d.Parse([]byte("<a>")) == nil {
		t.Fatal("unclosed element accepted")
	}
	if len(d.Nodes) != 0 || d.Find("a") != -1 {
		t.Errorf("failed Parse left nodes: %+v", d.Nodes)
	}
}

func TestParseDoesNotWriteInput(t *testing.T) {
	var d Doc
	for _, s := range seeds {
		src := []byte(s)
		mustParse(t, &d, s)
		if string(src) != s {
			t.Fatalf("input changed")
		}
	}
}

// diffCases are inputs that probe the edges of what Parse accepts. For
// each one either Parse refuses it or xmlquery reads exactly the same Doc.
var diffCases = []struct {
	src  string
	fast bool // whether Parse must accept it
}{
	{"<a/>", true},
	{"  <a/>  text after  ", true},
	{"\ufeff<a/>", true},
	{"<a/><b/>", true},
	{"<a x=\"1\"y='2'/>", true},
	{"<a\n\tx\n=\n'1'\n/>", true},
	{"<a></a >", true},
	{"<a>]]&gt;</a>", true},
	{"<a>]&#93;></a>", true},
	{"<a x=']]>'/>", true},
	{"<a>&#xD800;&#65;&#x10FFFF;</a>", true},
	{"<a>&#13;\r\n\r</a>", true},
	{"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>", true},
	{"<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n<a/>", true},
	{"<?xml version = \"1.1\"?><a/>", true}, // encoding/xml does not see this version
	{"<a><!----><!-- x - y --></a>", true},
	{"<a><![CDATA[]]]]><![CDATA[>]]></a>", true},
	{"<a>x<!-- c --><?xml version=\"1.0\"?>y</a>", true},
	{"<_a.b-c d.e='f'/>", true},
	{"<a x='1' x='2'/>", true},
	{"<a>]]></a>", false},
	{"<a>&nbsp;</a>", false},
	{"<a>&#X41;</a>", false},
	{"<a>&#0;</a>", false},
	{"<a>&#x110000;</a>", false},
	{"<a>&;</a>", false},
	{"<a>\x01</a>", false},
	{"<a>\xff</a>", false},
	{"<a>\xef\xbf\xbe</a>", false},
	{"<a x=1/>", false},
	{"<a x='<'/>", false},
	{"<a x/>", false},
	{"<a><!-- -- --></a>", false},
	{"<a><b></a></b>", false},
	{"</a>", false},
	{"<a>", false},
	{"text only", false},
	{"", false},
	{"<a/ >", false},
	{"< a/>", false},
	{"<1a/>", false},
	{"<a:b/>", false},
	{"<a xmlns='urn:x'/>", false},
	{"<a xmlns:p='urn:x' p:y='1'/>", false},
	{"<é/>", false},
	{"<!DOCTYPE a><a/>", false},
	{"<?xml version=\"1.0\" encoding=\"GBK\"?><a/>", false},
	{"<?xml version=\"1.1\"?><a/>", false},
	{"<?pi x?><a/>", false},
	{"<a><![CDATA[x</a>", false},
	{"<a><!-- x</a>", false},
}

func TestDiffCases(t *testing.T) {
	var fast Doc
	for _, c := range diffCases {
		src := []byte(c.src)
		err := fast.Parse(src)
		if (err == nil) != c.fast {
			t.Errorf("Parse(%q) = %v, want accepted=%v", c.src, err, c.fast)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(src) {
				t.Errorf("Parse(%q) error %#v has no offset in range", c.src, err)
			}
		}
		t.Run("", func(t *testing.T) { checkDiff(t, src) })
	}
	for _, s := range seeds {
		checkDiff(t, []byte(s))
	}
}

// checkDiff is the differential property: whenever Parse accepts src,
// xmlquery accepts it and flattens it identically.
//
// And its converse for errors: when Parse rejects src without having
// refused a construct (malformed XML, a limit), xmlquery rejects it too, so
// that ParseAny may skip the fallback.
func checkDiff(t *testing.T, src []byte) {
	t.Helper()
	var fast, slow Doc
	if err := fast.Parse(src); err != nil {
		if e := err.(*Error); !e.Refused && slow.ParseXMLQuery(src) == nil {
			t.Fatalf("Parse says %q is malformed (%v) but xmlquery reads it:\n%s", src, err, slow.AppendDump(nil))
		}
		return
	}
	if err := slow.ParseXMLQuery(src); err != nil {
		t.Fatalf("Parse accepted %q but xmlquery says %v", src, err)
	}
	if a, b := fast.AppendDump(nil), slow.AppendDump(nil); !bytes.Equal(a, b) {
		t.Fatalf("%q:\nParse:\n%s\nxmlquery:\n%s", src, a, b)
	}
}

// What Parse refuses but is XML, ParseAny still reads through xmlquery.
func TestParseAnyFallback(t *testing.T) {
	gbk := append([]byte("<?xml version=\"1.0\" encoding=\"GBK\"?><msg><title>"), 0xc4, 0xe3, 0xba, 0xc3)
	gbk = append(gbk, "</title></msg>"...)
	cases := []struct {
		src, path, want string
	}{
		{"<!DOCTYPE msg><msg><title>hi</title></msg>", "msg/title", "hi"},
		{string(gbk), "msg/title", "你好"},
		{"<msg xmlns='urn:x'><title>ns</title></msg>", "msg/title", "ns"},
		{"<msg><标题>中</标题></msg>", "msg/标题", "中"},
	}
	var d Doc
	for _, c := range cases {
		if d.Parse([]byte(c.src)) == nil {
			t.Errorf("Parse accepted %q, want it refused", c.src)
		}
		if err := d.ParseAny([]byte(c.src)); err != nil {
			t.Errorf("ParseAny(%q): %v", c.src, err)
			continue
		}
		if got := d.Text(c.path); got != c.want {
			t.Errorf("ParseAny(%q) %s = %q, want %q", c.src, c.path, got, c.want)
		}
	}
}

func TestParseAnyError(t *testing.T) {
	var d Doc
	// Malformed: the fast path's own verdict, without asking xmlquery.
	err := d.ParseAny([]byte("<msg><img a='1'></msg>"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	if e.Offset != 16 || e.Refused || e.Reason != errEndTag {
		t.Errorf("error = %+v (want offset 16 of </msg>)", e)
	}
	if !strings.Contains(err.Error(), "at byte 16") {
		t.Errorf("message = %q", err.Error())
	}
	// Refused, then malformed: xmlquery's verdict, at the refused construct.
	err = d.ParseAny([]byte("<msg><!DOCTYPE x><img></msg>"))
	if !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	if e.Offset != 5 || !strings.Contains(e.Reason, "closed by") {
		t.Errorf("error = %+v (want offset 5 of <!DOCTYPE, xmlquery's reason)", e)
	}
	bad := []byte("<a><b></a>")
	if n := testing.AllocsPerRun(50, func() { _ = d.ParseAny(bad) }); n != 0 {
		t.Errorf("rejecting malformed input allocates %v", n)
	}
}

func TestLimits(t *testing.T) {
	nest := func(n int) []byte {
		return []byte(strings.Repeat("<a>", n) + strings.Repeat("</a>", n))
	}
	var d Doc
	if err := d.Parse(nest(MaxDepth)); err != nil {
		t.Errorf("depth MaxDepth refused: %v", err)
	}
	for _, parse := range []func([]byte) error{d.Parse, d.ParseXMLQuery, d.ParseAny} {
		if parse(nest(MaxDepth+1)) == nil {
			t.Error("depth MaxDepth+1 accepted")
		}
	}
	attrs := "<a" + strings.Repeat(" x='1'", MaxAttrs+1) + "/>"
	if d.Parse([]byte(attrs)) == nil || d.ParseAny([]byte(attrs)) == nil {
		t.Error("too many attributes accepted")
	}
	many := []byte("<r>" + strings.Repeat("<a/>", MaxNodes) + "</r>")
	if d.Parse(many) == nil {
		t.Error("MaxNodes+1 elements accepted")
	}
	if d.ParseXMLQuery(many) == nil {
		t.Error("xmlquery fallback accepted more than MaxFallbackMarkup tags")
	}
}

// Parse must not allocate once the Doc has grown to the documents it reads.
func TestParseZeroAlloc(t *testing.T) {
	var d Doc
	for _, s := range seeds {
		src := []byte(s)
		mustParse(t, &d, s)
		if n := testing.AllocsPerRun(50, func() { _ = d.Parse(src) }); n != 0 {
			t.Errorf("%.40q…: %v allocs per Parse", s, n)
		}
	}
	bad := []byte("<a><b></a>")
	if n := testing.AllocsPerRun(50, func() { _ = d.Parse(bad) }); n != 0 {
		t.Errorf("refusing allocates %v", n)
	}
}

// checkSane asserts the structural invariants of a parsed Doc.
func checkSane(t *testing.T, d *Doc, src []byte) {
	t.Helper()
	for i, n := range d.Nodes {
		if n.Parent >= int32(i) || n.Parent < -1 {
			t.Fatalf("node %d parent %d", i, n.Parent)
		}
		wantDepth := int32(0)
		if n.Parent >= 0 {
			p := d.Nodes[n.Parent]
			wantDepth = p.Depth + 1
			if n.End > p.End {
				t.Fatalf("node %d ends after its parent", i)
			}
		}
		if n.Depth != wantDepth || n.Depth >= MaxDepth {
			t.Fatalf("node %d depth %d", i, n.Depth)
		}
		if n.End <= int32(i) || n.End > int32(len(d.Nodes)) {
			t.Fatalf("node %d end %d", i, n.End)
		}
		if n.AttrStart > n.AttrEnd || n.AttrEnd > int32(len(d.Attrs)) || n.AttrEnd-n.AttrStart > MaxAttrs {
			t.Fatalf("node %d attrs [%d,%d)", i, n.AttrStart, n.AttrEnd)
		}
		if n.Name == "" || !bytes.Contains(src, []byte(n.Name)) {
			t.Fatalf("node %d name %q not in input", i, n.Name)
		}
		if d.Child(int(n.Parent), n.Name) > i {
			t.Fatalf("Child does not find the first %q before node %d", n.Name, i)
		}
	}
	if len(d.Nodes) == 0 || len(d.Nodes) > MaxNodes {
		t.Fatalf("%d nodes", len(d.Nodes))
	}
}

func addSeeds(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	for _, c := range diffCases {
		f.Add([]byte(c.src))
	}
}

// FuzzXMLFlat: Parse never panics, never writes its input, and what it
// accepts is a well-formed flattening; ParseAny never panics either.
func FuzzXMLFlat(f *testing.F) {
	addSeeds(f)
	var d Doc
	f.Fuzz(func(t *testing.T, src []byte) {
		orig := string(src)
		if err := d.Parse(src); err == nil {
			checkSane(t, &d, src)
		} else if e, ok := err.(*Error); !ok || e.Offset < 0 || e.Offset > len(src) {
			t.Fatalf("error %#v", err)
		}
		if string(src) != orig {
			t.Fatal("Parse wrote into its input")
		}
		if err := d.ParseAny(src); err == nil && len(d.Nodes) == 0 {
			t.Fatal("ParseAny succeeded with no element")
		}
	})
}

// FuzzXMLFlatDiff: whenever Parse succeeds, ParseXMLQuery succeeds with an
// identical Doc.
func FuzzXMLFlatDiff(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		checkDiff(t, src)
	})
}

func benchParse(b *testing.B, src string, parse func(*Doc, []byte) error) {
	var d Doc
	in := []byte(src)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := parse(&d, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	for _, c := range []struct{ name, src string }{
		{"img", seedImage}, {"appmsg", seedAppMsg}, {"quote", seedQuote}, {"sysmsg", seedSysmsg},
	} {
		b.Run(c.name+"/fast", func(b *testing.B) { benchParse(b, c.src, (*Doc).Parse) })
		b.Run(c.name+"/xmlquery", func(b *testing.B) { benchParse(b, c.src, (*Doc).ParseXMLQuery) })
	}
}
