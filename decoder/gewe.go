package decoder

import "github.com/mailru/easyjson/jlexer"

// The gewe dialect: GeWe (gewechat) callbacks, {TypeName, Appid, Wxid, Data}.
// AddMsg carries WeChat's own message (Data.MsgType, XML in Data.Content), so
// its content goes through the same wechatContent as the eyun dialect's.

// wxString is a string of WeChat's protocol as GeWe forwards it:
// {"string": "…"}. A plain JSON value in its place is taken as it is, and an
// object without "string" (GeWe sends {} for an empty remark) is absent.
type wxString struct{ v val }

// UnmarshalEasyJSON captures the inner value without interpreting it.
func (s *wxString) UnmarshalEasyJSON(l *jlexer.Lexer) {
	if !l.IsDelim('{') {
		s.v.b = l.Raw()
		return
	}
	l.Delim('{')
	for l.Ok() && !l.IsDelim('}') {
		key := l.UnsafeFieldName(true) // unescaped only if no case matches
		l.WantColon()
		if key == "string" {
			s.v.b = l.Raw()
		} else if name, _ := escapedName(l, key); name == "string" {
			s.v.b = l.Raw()
		} else {
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
}

// geweEvent builds the Event of a GeWe callback. TypeName says what it is.
func (d *Decoder) geweEvent(ev *Event) error {
	env := &d.env
	d.dialect = Gewe
	g := &ev.Gewe
	g.TypeName = d.str(env.typeName, "TypeName")
	g.Appid = d.str(env.appid, "Appid")
	ev.Account = d.str(env.wxid, "Wxid")
	x := &env.gewe

	switch {
	case g.TypeName == "" && env.testMsg.IsDefined():
		// The callback test GeWe sends when the callback address is set.
		ev.Kind = KindSystem
		ev.Text = d.str(env.testMsg, "testMsg")
		g.TestMsg = ev.Text
		ev.DedupKey = d.hashKey("gewe", "testMsg", ev.Text, d.str(env.token, "token"))
	case g.TypeName == "":
		return errNoOffset(CodeMissingField, Gewe, "TypeName",
			"a gewe callback has a TypeName")
	case g.TypeName == "AddMsg":
		if !env.hasGewe {
			return errNoOffset(CodeMissingField, Gewe, "Data",
				"a gewe AddMsg callback has a Data object")
		}
		d.geweMessage(ev, x)
	case g.TypeName == "ModContacts" || g.TypeName == "DelContacts":
		if !env.hasGewe {
			return errNoOffset(CodeMissingField, Gewe, "Data",
				"a gewe "+g.TypeName+" callback has a Data object")
		}
		d.geweContact(ev, x, g.TypeName == "DelContacts")
	case g.TypeName == "Offline":
		ev.Kind = KindOffline
		ev.DedupKey = d.hashKey("gewe", g.Appid, g.TypeName, ev.Account, d.geweSpan())
	default:
		ev.Kind = KindUnknown
		ev.Problem = Problem{Field: "TypeName", Detail: d.join("gewe TypeName ", clipTypeName(g.TypeName), " is not modelled")}
		ev.DedupKey = d.hashKey("gewe", g.Appid, g.TypeName, d.geweSpan())
	}
	if d.err != nil {
		return d.err
	}
	return nil
}

// geweSpan is the raw Data object ("" when absent), hashed into the keys of
// events without a message id.
func (d *Decoder) geweSpan() string {
	if !d.env.hasGewe {
		return ""
	}
	return bytesToString(d.src[d.env.geweStart:d.env.geweEnd])
}

// geweMessage decodes an AddMsg: WeChat's message, its content decoded by
// the code shared with the eyun dialect (wechatxml.go).
func (d *Decoder) geweMessage(ev *Event, x *geweData) {
	g := &ev.Gewe
	g.MsgID = d.id(x.MsgID, "Data.MsgId")
	ev.ID = realID(d.id(x.NewMsgID, "Data.NewMsgId"))
	ev.Time = millis(d.num(x.CreateTime, "Data.CreateTime"))
	msgType := d.num(x.MsgType, "Data.MsgType")
	g.MsgType = msgType
	g.MsgSeq = d.num(x.MsgSeq, "Data.MsgSeq")
	g.MsgSource = d.str(x.MsgSource, "Data.MsgSource")
	g.PushContent = d.str(x.PushContent, "Data.PushContent")
	ev.From = d.str(x.FromUserName.v, "Data.FromUserName.string")
	ev.To = d.str(x.ToUserName.v, "Data.ToUserName.string")
	content := d.str(x.Content.v, "Data.Content.string")

	// The document: a message is the account's own when the sender is the
	// account (Wxid); a group message comes from (or, sent by the account,
	// goes to) a room, and received group content starts with "sender:\n".
	ev.Self = ev.From != "" && ev.From == ev.Account
	ev.Chat = ChatPrivate
	switch {
	case isRoomID(ev.From):
		ev.Chat, ev.Room = ChatGroup, ev.From
		if sender, rest, ok := splitSender(content); ok {
			content = rest
			if sender != ev.Room {
				ev.From = sender
			}
		}
	case isRoomID(ev.To):
		ev.Chat, ev.Room = ChatGroup, ev.To
	}

	// The document: the same message may be pushed again; de-duplicate by
	// Appid + NewMsgId. NewMsgId exceeds 2^53 and keeps its digits.
	if ev.ID != "" {
		ev.DedupKey = d.dedupKey("gewe", g.Appid, ev.ID)
	} else {
		ev.DedupKey = d.hashKey("gewe", g.Appid, "AddMsg", d.geweSpan())
	}
	if d.err != nil {
		return
	}

	d.inContent, d.contentOff = true, d.offsetOf(x.Content.v)
	err := d.wechatContent(ev, Gewe, msgType, content, "Data.Content.string", d.contentOff)
	d.endWeChatContent(ev, content, err)
	if ev.Kind == KindFriendRequest && ev.Chat == ChatPrivate {
		ev.Chat = ChatNone // an account event (from "fmessage"), as in every dialect
	}

	// The inline thumbnail (ImgBuf.buffer) is read only for a kind with a
	// media object to hold it. (For voice GeWe puts the audio itself there.)
	if ev.Kind == KindImage || ev.Kind == KindVideo || ev.Kind == KindEmoji {
		ev.Media.Thumb.Data = d.str(x.ImgBuf.Buffer, "Data.ImgBuf.buffer")
	}
	if ev.Chat == ChatGroup && g.MsgSource != "" {
		d.msgSourceMentions(ev, g.MsgSource)
	}
}

// geweContact decodes ModContacts (a friend added or changed, or a group's
// metadata) and DelContacts (a friend deleted, or a group left).
func (d *Decoder) geweContact(ev *Event, x *geweData, deleted bool) {
	g := &ev.Gewe
	user := d.str(x.UserName.v, "Data.UserName.string")
	ev.DedupKey = d.hashKey("gewe", g.Appid, g.TypeName, d.geweSpan())
	switch {
	case deleted && isRoomID(user):
		// "退出群聊": the account is no longer in the group.
		ev.Kind, ev.Chat, ev.Room = KindRoomLeave, ChatGroup, user
		if ev.Account != "" {
			ev.RoomChange.Members = append(ev.RoomChange.Members, Member{ID: ev.Account})
		}
		g.DeleteScene = d.num(x.DeleteContactScen, "Data.DeleteContactScen")
	case deleted:
		ev.Kind = KindFriendDeleted
		ev.From, ev.Card.UserID = user, user
		g.DeleteScene = d.num(x.DeleteContactScen, "Data.DeleteContactScen")
	case isRoomID(user):
		ev.Kind, ev.Chat, ev.Room = KindRoomInfo, ChatGroup, user
		ri := &ev.RoomInfo
		ri.ID = user
		ri.Owner = d.str(x.ChatRoomOwner, "Data.ChatRoomOwner")
		ri.Notify = d.num(x.ChatRoomNotify, "Data.ChatRoomNotify")
		ri.Status = d.num(x.ChatroomStatus, "Data.ChatroomStatus")
		ri.Avatar = d.str(x.SmallHeadImgURL, "Data.SmallHeadImgUrl")
		ri.BitMask = d.num(x.BitMask, "Data.BitMask")
		ri.AddContactScene = d.num(x.AddContactScene, "Data.AddContactScene")
		ri.Name = d.str(x.NickName.v, "Data.NickName.string")
	default:
		ev.Kind = KindContactUpdate
		c := &ev.Card
		c.UserID = user
		c.Nickname = d.str(x.NickName.v, "Data.NickName.string")
		c.Alias = d.str(x.Alias, "Data.Alias")
		c.Sex = d.num(x.Sex, "Data.Sex")
		c.Sign = d.str(x.Signature, "Data.Signature")
		c.Province = d.str(x.Province, "Data.Province")
		c.City = d.str(x.City, "Data.City")
		c.Avatar = d.str(x.BigHeadImgURL, "Data.BigHeadImgUrl")
		if c.Avatar == "" {
			c.Avatar = d.str(x.SmallHeadImgURL, "Data.SmallHeadImgUrl")
		}
		ev.From = user
	}
}
