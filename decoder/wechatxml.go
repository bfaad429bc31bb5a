package decoder

import (
	"strconv"
	"strings"

	"github.com/wxhook/wxhook/decoder/internal/xmlflat"
)

// WeChat's own message content (XML). The eyun dialect forwards WeChat's own
// msgType and XML content; the dll dialect does the same for name cards and
// mini programs. This file maps those XML shapes onto the canonical Event.
//
// Everything here is on the hot path: the strings put into the Event alias
// the content string or the xmlflat Docs' scratch, which the next decode on
// the same Decoder reuses.

// xmlScratch holds the reusable XML documents of a Decoder. Three Docs,
// because strings of one stay in the Event while another is parsed.
type xmlScratch struct {
	doc   xmlflat.Doc // the content document
	inner xmlflat.Doc // XML inside it: refermsg/content, recorditem, xmlcontent
	src   xmlflat.Doc // <msgsource>, read for mentions
	buf   []byte      // formatted strings (problem details)
}

// WeChat's own message types (data.msgType).
const (
	wxText         = 1
	wxImage        = 3
	wxVoice        = 34
	wxFriendReq    = 37
	wxCard         = 42
	wxVideo        = 43
	wxEmoji        = 47
	wxLocation     = 48
	wxAppMsg       = 49
	wxVoIP         = 50 // a call's record (<voipmsg>)
	wxStatusNotify = 51
	wxSystem       = 10000
	wxSysMsg       = 10002
)

// wechatContent decodes WeChat's own (XML) message content into ev. Used by the
// eyun dialect (data.content) and the gewe dialect (Data.Content.string). (The dll dialect sends its name cards and mini
// programs as structured fields, not XML: see dll.go.)
//
// msgType is WeChat's own type (0 when the vendor sent none: then the kind
// the envelope implies, or the XML itself, decides). On entry ev.Kind is the
// kind the envelope implies; ev.Chat/From/Room are set and a group "sender:\n"
// prefix is stripped. field is the field path for errors, off the byte offset
// of the content string's first byte in the callback body.
//
// Unreadable XML gives a *Error with CodeBadContent; XML that reads but lacks
// what its type needs gives KindUnknown with Content and a Problem.
func (d *Decoder) wechatContent(ev *Event, dialect Dialect, msgType int64, content string, field string, off int) error {
	if msgType == 0 {
		msgType = msgTypeOfKind(ev.Kind)
	}
	switch msgType {
	case wxText:
		ev.Kind, ev.Text = KindText, content
		return nil
	case wxSystem:
		ev.Kind, ev.Text = KindSystem, content
		return nil
	case 0, wxImage, wxVoice, wxFriendReq, wxCard, wxVideo, wxEmoji, wxLocation, wxAppMsg, wxVoIP, wxStatusNotify, wxSysMsg:
	default:
		ev.Kind, ev.Content = KindUnknown, content
		return nil
	}
	body, skip := xmlBody(content)
	if msgType == 0 && (body == "" || body[0] != '<') {
		ev.Kind, ev.Content = KindUnknown, content
		return nil
	}
	x := &d.xml
	doc := &x.doc
	if err := doc.ParseAny(stringToBytes(body)); err != nil {
		return badXML(err, dialect, field, off+skip)
	}
	if msgType == 0 {
		msgType = sniffMsgType(doc)
	}
	ok := true
	switch msgType {
	case wxImage:
		ok = wechatImage(ev, doc)
	case wxVoice:
		ok = wechatVoice(ev, doc)
	case wxVideo:
		ok = wechatVideo(ev, doc)
	case wxEmoji:
		ok = wechatEmoji(ev, doc)
	case wxLocation:
		ok = wechatLocation(ev, doc)
	case wxCard:
		ok = wechatCard(ev, doc)
	case wxFriendReq:
		ok = wechatFriend(ev, doc)
	case wxStatusNotify:
		ok = wechatChatOpened(ev, doc)
	case wxVoIP:
		ok = wechatCall(ev, doc)
	case wxSysMsg:
		ok = d.wechatSysMsg(ev, doc, content, field, off)
	case wxAppMsg:
		ok = d.appMsg(ev, dialect, doc, content, field, off)
	default:
		ok = false
	}
	if !ok {
		ev.Kind, ev.Content = KindUnknown, content
		if ev.Problem.Detail == "" {
			ev.Problem = Problem{Code: CodeBadContent, Field: field, Offset: off,
				Detail: "XML content lacks the element its msgType needs"}
		}
	}
	return nil
}

// badXML turns an xmlflat error into the decoder's typed error.
func badXML(err error, dialect Dialect, field string, off int) *Error {
	pos, reason := 0, err.Error()
	if e, ok := err.(*xmlflat.Error); ok {
		pos, reason = max(e.Offset, 0), e.Reason
	}
	return &Error{Code: CodeBadContent, Vendor: dialect, Field: field, Offset: off + pos,
		Detail: "unreadable XML: " + reason}
}

// msgTypeOfKind is WeChat's msgType behind a kind the envelope implies.
func msgTypeOfKind(k Kind) int64 {
	switch k {
	case KindImage:
		return wxImage
	case KindVoice:
		return wxVoice
	case KindVideo:
		return wxVideo
	case KindEmoji:
		return wxEmoji
	case KindLocation:
		return wxLocation
	case KindContactCard:
		return wxCard
	case KindFriendRequest:
		return wxFriendReq
	case KindLink, KindFile, KindMiniProgram, KindChatHistory, KindQuote, KindTransfer, KindRedPacket,
		KindChannels, KindFileUpload:
		return wxAppMsg
	case KindCall:
		return wxVoIP
	}
	return 0
}

// sniffMsgType recognises a content document when no type was given.
func sniffMsgType(doc *xmlflat.Doc) int64 {
	if doc.Child(-1, "sysmsg") >= 0 {
		return wxSysMsg
	}
	if doc.Child(-1, "voipmsg") >= 0 {
		return wxVoIP
	}
	msg := doc.Child(-1, "msg")
	if msg < 0 {
		return 0
	}
	for _, c := range [...]struct {
		name string
		t    int64
	}{{"img", wxImage}, {"voicemsg", wxVoice}, {"videomsg", wxVideo}, {"emoji", wxEmoji},
		{"location", wxLocation}, {"appmsg", wxAppMsg}, {"op", wxStatusNotify}} {
		if doc.Child(msg, c.name) >= 0 {
			return c.t
		}
	}
	switch {
	case doc.Attr(msg, "encryptusername") != "" || doc.Attr(msg, "fromusername") != "" && doc.Attr(msg, "ticket") != "":
		return wxFriendReq
	case doc.Attr(msg, "username") != "":
		return wxCard
	}
	return 0
}

// xmlBody skips what comes before the first '<' when it is white space or a
// "sender:" prefix left in place, and returns how many bytes were skipped.
func xmlBody(s string) (string, int) {
	i := strings.IndexByte(s, '<')
	if i <= 0 {
		return s, 0
	}
	pre := s[:i]
	for len(pre) > 0 && isXMLSpace(pre[len(pre)-1]) {
		pre = pre[:len(pre)-1]
	}
	if pre == "" || pre[len(pre)-1] == ':' {
		return s[i:], i
	}
	return s, 0
}

// Small conversions. Values that do not parse are left 0 / unset.

// trim removes XML white space around s. (Hand-written: strings.Trim builds
// its cutset on every call, which shows in the WebAssembly build's profile.)
func trim(s string) string {
	for len(s) > 0 && isXMLSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isXMLSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// atoi reads a decimal integer (optional sign, surrounding white space); 0
// when s is anything else or overflows.
func atoi(s string) int64 {
	s = trim(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || n > (1<<63-1-9)/10 {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// atof reads a plain decimal like "22.543096" (optional sign, no exponent);
// 0 otherwise. Checking the syntax first keeps strconv from allocating an
// error and keeps NaN and Inf, which JSON cannot carry, out.
func atof(s string) float64 {
	s = trim(s)
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		case (c == '-' || c == '+') && i == 0:
		default:
			return 0
		}
	}
	if digits == 0 || dots > 1 || len(s) > 64 {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return f
}

// set and seti fill a field only when the XML has a value, so that what the
// envelope already put there (eyun's inline thumbnail, dll's cdnData) stays.
func set(dst *string, v string) {
	if v = trim(v); v != "" {
		*dst = v
	}
}

func seti(dst *int64, v string) {
	if n := atoi(v); n != 0 {
		*dst = n
	}
}

// attrs reads the attributes of one element.
type attrs struct {
	doc  *xmlflat.Doc
	node int
}

func (a attrs) s(name string) string { return trim(a.doc.Attr(a.node, name)) }
func (a attrs) i(name string) int64  { return atoi(a.doc.Attr(a.node, name)) }

// child reads the texts of one element's children.
type child struct {
	doc  *xmlflat.Doc
	node int
}

// A missing element (node -1) has no children: without the checks, -1
// would mean "the top level" to xmlflat.
func (c child) at(name string) child {
	if c.node < 0 {
		return c
	}
	return child{c.doc, c.doc.Child(c.node, name)}
}
func (c child) s(name string) string { return trim(c.doc.NodeText(c.at(name).node)) }
func (c child) i(name string) int64  { return atoi(c.s(name)) }
func (c child) ok() bool             { return c.node >= 0 }

// <msg><img aeskey cdnthumburl cdnmidimgurl cdnbigimgurl length hdlength md5 …/></msg>
func wechatImage(ev *Event, doc *xmlflat.Doc) bool {
	n := doc.Find("msg/img")
	if n < 0 {
		return false
	}
	a, m := attrs{doc, n}, &ev.Media
	ev.Kind = KindImage
	set(&m.URL, a.s("cdnmidimgurl"))
	set(&m.HDURL, a.s("cdnbigimgurl"))
	if m.URL == "" {
		m.URL = m.HDURL
	}
	set(&m.AESKey, a.s("aeskey"))
	set(&m.MD5, a.s("md5"))
	seti(&m.Size, a.s("length"))
	seti(&m.HDSize, a.s("hdlength"))
	seti(&m.Width, a.s("cdnmidwidth"))
	seti(&m.Height, a.s("cdnmidheight"))
	seti(&m.Encrypt, a.s("encryver"))
	t := &m.Thumb
	set(&t.URL, a.s("cdnthumburl"))
	set(&t.AESKey, a.s("cdnthumbaeskey"))
	seti(&t.Size, a.s("cdnthumblength"))
	seti(&t.Width, a.s("cdnthumbwidth"))
	seti(&t.Height, a.s("cdnthumbheight"))
	return true
}

// <msg><voicemsg voicelength(ms) length voiceformat bufid aeskey voiceurl …/></msg>
func wechatVoice(ev *Event, doc *xmlflat.Doc) bool {
	n := doc.Find("msg/voicemsg")
	if n < 0 {
		return false
	}
	a, m := attrs{doc, n}, &ev.Media
	ev.Kind = KindVoice
	seti(&m.Duration, a.s("voicelength"))
	seti(&m.Size, a.s("length"))
	switch f := a.s("voiceformat"); f {
	case "4":
		m.Format = "silk" // WeChat's voice codec
	default:
		set(&m.Format, f)
	}
	set(&m.BufID, a.s("bufid"))
	set(&m.AESKey, a.s("aeskey"))
	set(&m.URL, a.s("voiceurl"))
	set(&m.MD5, a.s("voicemd5"))
	return true
}

// <msg><videomsg playlength(s) length cdnvideourl aeskey md5 newmd5 cdnthumb…/></msg>
func wechatVideo(ev *Event, doc *xmlflat.Doc) bool {
	n := doc.Find("msg/videomsg")
	if n < 0 {
		return false
	}
	a, m := attrs{doc, n}, &ev.Media
	ev.Kind = KindVideo
	set(&m.URL, a.s("cdnvideourl"))
	set(&m.AESKey, a.s("aeskey"))
	set(&m.MD5, a.s("md5"))
	set(&m.NewMD5, a.s("newmd5"))
	seti(&m.Size, a.s("length"))
	if s := a.i("playlength"); s > 0 && s < 1<<40 {
		m.Duration = s * 1000
	}
	t := &m.Thumb
	set(&t.URL, a.s("cdnthumburl"))
	set(&t.AESKey, a.s("cdnthumbaeskey"))
	seti(&t.Size, a.s("cdnthumblength"))
	seti(&t.Width, a.s("cdnthumbwidth"))
	seti(&t.Height, a.s("cdnthumbheight"))
	return true
}

// <msg><emoji md5 len cdnurl thumburl width height productid aeskey …/></msg>
func wechatEmoji(ev *Event, doc *xmlflat.Doc) bool {
	n := doc.Find("msg/emoji")
	if n < 0 {
		return false
	}
	a, m := attrs{doc, n}, &ev.Media
	ev.Kind = KindEmoji
	set(&m.URL, a.s("cdnurl"))
	set(&m.MD5, a.s("md5"))
	seti(&m.Size, a.s("len"))
	seti(&m.Width, a.s("width"))
	seti(&m.Height, a.s("height"))
	set(&m.ProductID, a.s("productid"))
	set(&m.AESKey, a.s("aeskey"))
	set(&m.Thumb.URL, a.s("thumburl"))
	return true
}

// <msg><location x(lat) y(lng) scale label poiname poiid maptype/></msg>
func wechatLocation(ev *Event, doc *xmlflat.Doc) bool {
	n := doc.Find("msg/location")
	if n < 0 {
		return false
	}
	a, l := attrs{doc, n}, &ev.Location
	ev.Kind = KindLocation
	l.Lat = atof(a.s("x"))
	l.Lng = atof(a.s("y"))
	l.Zoom = atof(a.s("scale"))
	l.Label = a.s("label")
	l.POI = a.s("poiname")
	l.POIID = a.s("poiid")
	l.MapType = a.s("maptype")
	return true
}

// <msg username nickname alias bigheadimgurl smallheadimgurl sex province city sign antispamticket …/>
func wechatCard(ev *Event, doc *xmlflat.Doc) bool {
	n := doc.Child(-1, "msg")
	a := attrs{doc, n}
	if n < 0 || a.s("username") == "" {
		return false
	}
	c := &ev.Card
	ev.Kind = KindContactCard
	c.UserID = a.s("username")
	set(&c.Nickname, a.s("nickname"))
	set(&c.Alias, a.s("alias"))
	set(&c.Avatar, a.s("bigheadimgurl"))
	if c.Avatar == "" {
		c.Avatar = a.s("smallheadimgurl")
	}
	seti(&c.Sex, a.s("sex"))
	set(&c.Province, a.s("province"))
	set(&c.City, a.s("city"))
	set(&c.Sign, a.s("sign"))
	set(&c.Ticket, a.s("antispamticket"))
	return true
}

// <msg fromusername encryptusername fromnickname content ticket scene sex sign bigheadimgurl …/>
func wechatFriend(ev *Event, doc *xmlflat.Doc) bool {
	n := doc.Child(-1, "msg")
	a := attrs{doc, n}
	if n < 0 || a.s("fromusername") == "" && a.s("encryptusername") == "" {
		return false
	}
	f := &ev.Friend
	ev.Kind = KindFriendRequest
	f.UserID = a.s("fromusername")
	f.Nickname = a.s("fromnickname")
	f.Message = a.s("content")
	f.V3 = a.s("encryptusername")
	f.V4 = a.s("ticket")
	f.Scene = a.i("scene")
	f.Avatar = a.s("bigheadimgurl")
	if f.Avatar == "" {
		f.Avatar = a.s("smallheadimgurl")
	}
	f.Alias = a.s("alias")
	f.Sex = a.i("sex")
	f.Sign = a.s("sign")
	f.Province = a.s("province")
	f.City = a.s("city")
	return true
}

// <msg><op id='1'><username>room</username></op></msg>: the phone opened a chat.
func wechatChatOpened(ev *Event, doc *xmlflat.Doc) bool {
	op := child{doc, doc.Find("msg/op")}
	if !op.ok() {
		return false
	}
	ev.Kind = KindRoomEnter
	// WeChat sends the same op for opening a private chat: only a group id
	// is a room.
	if u := op.s("username"); ev.Room == "" && isRoomID(u) {
		ev.Room = u
	}
	return true
}

// <sysmsg type="…">: group changes, recalls, pats, announcements, to-dos
// and other notices.
func (d *Decoder) wechatSysMsg(ev *Event, doc *xmlflat.Doc, content, field string, off int) bool {
	root := doc.Child(-1, "sysmsg")
	if root < 0 {
		return false
	}
	sys := child{doc, root}
	switch doc.Attr(root, "type") {
	case "sysmsgtemplate":
		roomTemplate(ev, doc, sys.at("sysmsgtemplate").at("content_template"), content)
	case "revokemsg":
		r := sys.at("revokemsg")
		ev.Kind = KindRecall
		ev.Recall = Recall{ID: r.s("newmsgid"), MsgID: r.s("msgid"), Session: r.s("session"), Text: r.s("replacemsg")}
	case "pat":
		p := sys.at("pat")
		ev.Kind = KindPat
		ev.Pat = Pat{From: p.s("fromusername"), Patted: p.s("pattedusername"), Chat: p.s("chatusername"),
			Template: p.s("template")}
	case "mmchatroombarannouncememt": // sic: WeChat's spelling
		d.announcement(ev, sys.at("mmchatroombarannouncememt"), content, field, off)
	case "roomtoolstips":
		t := sys.at("todo")
		if !t.ok() {
			ev.Kind, ev.Content = KindSystem, content
			break
		}
		ev.Kind = KindRoomTodo
		ev.Todo = Todo{ID: t.s("todoid"), Op: t.i("op"), Title: t.s("title"), Creator: t.s("creator"),
			Manager: t.s("manager"), Operator: t.s("oper"), RelatedMsgID: t.s("related_msgid"),
			AppUserName: t.s("username"), Scene: t.s("scene"), Template: t.s("template"), Time: millis(t.i("time"))}
	default:
		ev.Kind, ev.Content = KindSystem, content
	}
	return true
}

// announcement reads <mmchatroombarannouncememt>: the text in <content>,
// the id, and in <xmlcontent> (an XML document as CDATA) who published it
// and when.
func (d *Decoder) announcement(ev *Event, a child, content, field string, off int) {
	ev.Kind = KindRoomAnnouncement
	an := &ev.Announce
	an.Text = a.s("content")
	an.ID = a.s("announcement_id")
	inner := a.s("xmlcontent")
	if inner == "" {
		return
	}
	in := &d.xml.inner
	if in.ParseAny(stringToBytes(inner)) != nil {
		// The text and id are read and the event keeps its kind; what
		// could not be read is reported and the content kept, as for an
		// unreadable <recorditem>.
		ev.Content = content
		ev.Problem = Problem{Code: CodeBadContent, Field: field, Offset: off, Detail: "unreadable <xmlcontent>"}
		return
	}
	item := child{in, in.Child(-1, "group_notice_item")}
	an.EditTime = millis(item.i("edittime"))
	an.Editor = item.at("source").s("fromusr")
	if an.ID == "" {
		an.ID = item.s("announcement_id")
	}
}

// <voipmsg type="VoIPBubbleMsg"><VoIPBubbleMsg>: the record a call leaves.
func wechatCall(ev *Event, doc *xmlflat.Doc) bool {
	root := doc.Child(-1, "voipmsg")
	if root < 0 {
		return false
	}
	b := child{doc, doc.Child(root, "VoIPBubbleMsg")}
	ev.Kind = KindCall
	c := &ev.Call
	c.Text = b.s("msg")
	c.RoomType = b.i("room_type")
	c.RoomID = b.s("roomid")
	c.InviteID = b.s("inviteid64")
	if c.InviteID == "" {
		c.InviteID = b.s("inviteid")
	}
	if s := b.i("duration"); s > 0 && s < 1<<40 {
		c.Duration = s * 1000
	}
	c.Time = millis(b.i("timestamp"))
	return true
}

// roomTemplate reads a "sysmsgtemplate": its template text says what
// happened, its links who. The vendor's own examples replace the links'
// content by "...", which must still give the right kind.
func roomTemplate(ev *Event, doc *xmlflat.Doc, ct child, content string) {
	tmpl := ct.s("template")
	switch {
	case strings.Contains(tmpl, "修改群名为"):
		ev.Kind = KindRoomTopic
	case strings.Contains(tmpl, "移出了群聊") || strings.Contains(tmpl, "移出群聊"):
		ev.Kind = KindRoomLeave
	case strings.Contains(tmpl, "加入了群聊") || strings.Contains(tmpl, "加入群聊"):
		ev.Kind = KindRoomJoin
	default:
		ev.Kind, ev.Content = KindSystem, content
		return
	}
	rc := &ev.RoomChange
	rc.Template = tmpl
	links := ct.at("link_list")
	if !links.ok() {
		return
	}
	for l := doc.Child(links.node, "link"); l >= 0; l = doc.Next(l) {
		link := child{doc, l}
		members := link.at("memberlist")
		switch doc.Attr(l, "name") {
		case "username", "from": // who invited, removed or renamed
			if m := members.at("member"); m.ok() && rc.Actor == "" {
				rc.Actor, rc.ActorName = m.s("username"), m.s("nickname")
			}
		case "names", "kickoutname", "adder": // who joined or left
			if !members.ok() {
				continue
			}
			for m := doc.Child(members.node, "member"); m >= 0; m = doc.Next(m) {
				mc := child{doc, m}
				rc.Members = append(rc.Members, Member{ID: mc.s("username"), Name: mc.s("nickname")})
			}
		case "remark": // the new group name
			rc.Topic = link.s("plain")
			if rc.Topic == "" {
				rc.Topic = members.at("member").s("nickname")
			}
		}
	}
}

// appMsg decodes <msg><appmsg>, whose <type> says what it carries.
func (d *Decoder) appMsg(ev *Event, dialect Dialect, doc *xmlflat.Doc, content, field string, off int) bool {
	app := child{doc, doc.Find("msg/appmsg")}
	if !app.ok() {
		return false
	}
	t := app.i("type")
	switch dialect {
	case Eyun:
		ev.Eyun.AppMsgType = t
	case Gewe:
		ev.Gewe.AppMsgType = t
	}
	title := app.s("title")
	switch t {
	case 5: // a web page
		l := &ev.Link
		ev.Kind = KindLink
		l.Title, l.Desc, l.URL, l.ThumbURL = title, app.s("des"), app.s("url"), app.s("thumburl")
		l.Source = app.s("sourcedisplayname")
		if l.Source == "" {
			l.Source = child{doc, doc.Find("msg/appinfo")}.s("appname")
		}
		l.AppID = trim(doc.Attr(app.node, "appid"))
	case 6, 8: // a file, or an emoji sent as an attachment
		att, m := app.at("appattach"), &ev.Media
		ev.Kind = KindFile
		if t == 8 {
			ev.Kind = KindEmoji
			set(&m.MD5, att.s("emoticonmd5"))
		} else {
			m.FileName = title
		}
		seti(&m.Size, att.s("totallen"))
		set(&m.FileExt, att.s("fileext"))
		set(&m.MD5, app.s("md5"))
		set(&m.URL, att.s("cdnattachurl"))
		set(&m.FileID, att.s("attachid"))
		set(&m.AESKey, att.s("aeskey"))
	case 74: // a file being sent: the notice before the file (type 6) itself
		att, m := app.at("appattach"), &ev.Media
		ev.Kind = KindFileUpload
		m.FileName = title
		seti(&m.Size, att.s("totallen"))
		set(&m.FileExt, att.s("fileext"))
		set(&m.MD5, app.s("md5"))
	case 51: // a WeChat Channels (视频号) post
		ev.Kind = KindChannels
		channels(&ev.Channels, app.at("finderFeed"))
	case 19: // forwarded chat history
		ev.Kind = KindChatHistory
		h := &ev.History
		h.Title, h.Desc = title, app.s("des")
		d.recordItems(ev, app.s("recorditem"), content, field, off)
	case 33, 36: // a mini program
		ev.Kind = KindMiniProgram
		w, mp := app.at("weappinfo"), &ev.MiniProgram
		mp.Title = title
		set(&mp.AppID, w.s("appid"))
		set(&mp.UserName, w.s("username"))
		set(&mp.DisplayName, app.s("sourcedisplayname"))
		set(&mp.IconURL, w.s("weappiconurl"))
		set(&mp.PagePath, w.s("pagepath"))
		set(&mp.URL, app.s("url"))
		seti(&mp.Version, w.s("version"))
		seti(&mp.Type, w.s("type"))
		att := app.at("appattach")
		th := &mp.Thumb
		set(&th.URL, att.s("cdnthumburl"))
		set(&th.AESKey, att.s("cdnthumbaeskey"))
		set(&th.MD5, att.s("cdnthumbmd5"))
		seti(&th.Size, att.s("cdnthumblength"))
		seti(&th.Width, att.s("cdnthumbwidth"))
		seti(&th.Height, att.s("cdnthumbheight"))
	case 57: // a reply quoting an earlier message
		ev.Kind = KindQuote
		ev.Text = title
		d.quote(ev, app.at("refermsg"))
	case 2000: // a WeChat Pay transfer
		ev.Kind = KindTransfer
		w, tr := app.at("wcpayinfo"), &ev.Transfer
		tr.Amount = w.s("feedesc")
		tr.Memo = w.s("pay_memo")
		tr.TransferID = w.s("transferid")
		tr.TransactionID = w.s("transcationid") // sic: WeChat's spelling
		tr.PaySubtype = w.i("paysubtype")
		tr.BeginTime = millis(w.i("begintransfertime"))
		tr.InvalidTime = millis(w.i("invalidtime"))
		tr.Payer = w.s("payer_username")
		tr.Receiver = w.s("receiver_username")
	case 2001: // a red packet
		ev.Kind = KindRedPacket
		w, rp := app.at("wcpayinfo"), &ev.RedPacket
		rp.Title = title
		// The sender's wish is what the receiver sees as the title; <des>
		// is WeChat's generic "I sent you a red packet" line.
		rp.Wishing = w.s("receivertitle")
		if rp.Wishing == "" {
			rp.Wishing = app.s("des")
		}
		rp.SenderTitle = w.s("sendertitle")
		rp.NativeURL = w.s("nativeurl")
		rp.SceneID = w.s("sceneid")
		rp.IconURL = w.s("iconurl")
	default:
		ev.Kind, ev.Content = KindUnknown, content
		x := &d.xml
		x.buf = append(x.buf[:0], "appmsg type "...)
		x.buf = strconv.AppendInt(x.buf, t, 10)
		x.buf = append(x.buf, " is not modelled"...)
		ev.Problem = Problem{Detail: bytesToString(x.buf)}
	}
	return true
}

// channels reads <finderFeed>; the media are those of its first <media>.
func channels(c *Channels, f child) {
	c.ObjectID = f.s("objectId")
	c.NonceID = f.s("objectNonceId")
	c.FeedType = f.i("feedType")
	c.UserName = f.s("username")
	c.Nickname = f.s("nickname")
	c.Avatar = f.s("avatar")
	c.Desc = f.s("desc")
	c.MediaCount = f.i("mediaCount")
	m := f.at("mediaList").at("media")
	c.URL = m.s("url")
	c.ThumbURL = m.s("thumbUrl")
	c.CoverURL = m.s("coverUrl")
	c.Width = m.i("width")
	c.Height = m.i("height")
}

// recordItems reads the messages of a chat history from <recorditem>, an XML
// document inside the appmsg (as CDATA or escaped).
func (d *Decoder) recordItems(ev *Event, record, content, field string, off int) {
	if record == "" {
		return
	}
	in := &d.xml.inner
	if err := in.ParseAny(stringToBytes(record)); err != nil {
		ev.Content = content // kept: the items it holds were not read
		ev.Problem = Problem{Code: CodeBadContent, Field: field, Offset: off, Detail: "unreadable <recorditem>"}
		return
	}
	list := in.Find("recordinfo/datalist")
	if list < 0 {
		return
	}
	for it := in.Child(list, "dataitem"); it >= 0; it = in.Next(it) {
		c := child{in, it}
		text := c.s("datadesc")
		if text == "" {
			text = c.s("datatitle")
		}
		ev.History.Items = append(ev.History.Items, HistoryItem{
			Type: atoi(in.Attr(it, "datatype")), Name: c.s("sourcename"), Time: c.s("sourcetime"), Text: text,
		})
	}
}

// quote reads <refermsg>. Its svrid exceeds 2^53 and stays digits. Its
// content is the quoted message: text as is, an appmsg as escaped XML whose
// title is the useful text.
func (d *Decoder) quote(ev *Event, r child) {
	if !r.ok() {
		return
	}
	q := &ev.Quote
	q.ID = r.s("svrid")
	q.Type = r.i("type")
	q.Chat = r.s("fromusr")
	q.From = r.s("chatusr")
	if q.From == "" {
		q.From = q.Chat
	}
	q.DisplayName = r.s("displayname")
	q.Time = millis(r.i("createtime"))
	c := r.doc.NodeText(r.at("content").node)
	switch q.Type {
	case wxText:
		q.Text = c
		return
	case wxAppMsg:
		in := &d.xml.inner
		body, _ := xmlBody(c)
		if in.ParseAny(stringToBytes(body)) == nil {
			q.Text = trim(in.Text("msg/appmsg/title"))
		}
	}
	q.Content = c
}

// msgSourceMentions fills ev.Mentions from <msgsource><atuserlist>, a comma
// separated list that may start with a comma. Ids already present are kept
// once.
func (d *Decoder) msgSourceMentions(ev *Event, msgSource string) {
	if !strings.Contains(msgSource, "atuserlist") {
		return // most messages mention no one: skip the parse
	}
	doc := &d.xml.src
	if doc.ParseAny(stringToBytes(msgSource)) != nil {
		return
	}
	list := doc.Text("msgsource/atuserlist")
	for list != "" {
		var id string
		id, list, _ = strings.Cut(list, ",")
		if id = trim(id); id == "" || contains(ev.Mentions, id) {
			continue
		}
		ev.Mentions = append(ev.Mentions, id)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
