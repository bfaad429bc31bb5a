package decoder

// eyunEvent builds the Event of an eyun raw callback. messageType (the
// vendor's class, 0–17) gives the kind for plain messages; for the classes
// that need it (13, 14) WeChat's own msgType and the XML content decide.
func (d *Decoder) eyunEvent(ev *Event) error {
	env := &d.env
	d.dialect = Eyun
	if !env.messageType.IsDefined() {
		return errNoOffset(CodeMissingField, Eyun, "messageType",
			"an eyun callback has a messageType")
	}
	ping := isEyunPing(env.messageType)
	if !env.hasData && !ping {
		return errNoOffset(CodeMissingField, Eyun, "data",
			"an eyun callback has a data object")
	}
	mt := d.num(env.messageType, "messageType")
	ev.Eyun.MessageType = mt
	ev.Account = d.str(env.wcID, "wcId")
	ev.Eyun.WcID = ev.Account
	ev.Eyun.Account = d.str(env.account, "account")

	x := &env.eyun
	ev.Eyun.WID = d.str(x.WID, "data.wId")
	ev.Eyun.MsgID = d.id(x.MsgID, "data.msgId")
	ev.ID = realID(d.id(x.NewMsgID, "data.newMsgId"))
	ts := d.num(x.Timestamp, "data.timestamp")
	ev.Time = millis(ts)
	msgType := d.num(x.MsgType, "data.msgType")
	ev.Eyun.MsgType = msgType
	ev.From = d.str(x.FromUser, "data.fromUser")
	ev.To = d.str(x.ToUser, "data.toUser")
	ev.Room = d.str(x.FromGroup, "data.fromGroup")
	ev.Self = d.flag(x.Self, "data.self")
	ev.Eyun.MsgSource = d.str(x.MsgSource, "data.msgSource")
	ev.Eyun.Length = d.num(x.Length, "data.length")
	ev.Eyun.VoiceLength = d.num(x.VoiceLength, "data.voiceLength")
	content := d.str(x.Content, "data.content")

	// An optimized callback (6xxxx, 8xxxx) is decoded as the raw class it
	// stands for: one code path, one canonical event for both versions.
	raw, wxType := mt, msgType
	if r, n, ok := eyunOptimized(mt); ok {
		raw, wxType = r, orType(msgType, n)
	}
	if ping {
		raw = eyunPingClass
	}

	switch raw {
	case 2, 9, 10, 11, 12, 14, 16:
		ev.Chat = ChatGroup
	case 0, 4, 15, 17, eyunPingClass:
		ev.Chat = ChatNone
	default:
		ev.Chat = ChatPrivate
	}
	if ev.Room != "" && ev.Chat == ChatPrivate {
		ev.Chat = ChatGroup
	}
	if ev.Chat == ChatGroup && ev.Room == "" && isRoomID(ev.From) {
		ev.Room = ev.From
	}
	if ev.Chat == ChatGroup {
		// Group content starts with "sender:\n"; system messages use the room.
		if sender, rest, ok := splitSender(content); ok {
			content = rest
			if ev.From == "" || (ev.From == ev.Room && sender != ev.Room) {
				ev.From = sender
			}
		}
	}

	// The document: callbacks may be replayed and MUST be de-duplicated by
	// newMsgId + timestamp. The account scopes the key: two bots in one group
	// each receive their own copy of a message.
	if ev.ID != "" {
		tsText, _ := x.Timestamp.digits()
		ev.DedupKey = d.dedupKey("eyun", ev.Account, ev.ID, bytesToString(tsText))
	} else {
		raw := d.src[d.env.dataStart:d.env.dataEnd]
		ev.DedupKey = d.hashKey("eyun", ev.Account, d.itoa(mt), bytesToString(raw))
	}

	if d.err == nil {
		d.eyunKind(ev, raw, wxType, content, x)
	}
	// The inline thumbnail is often tens of kilobytes: read it only when the
	// kind has a media object to put it in.
	if ev.Kind == KindImage || ev.Kind == KindVideo || ev.Kind == KindEmoji {
		ev.Media.Thumb.Data = d.str(x.Img, "data.img")
	}
	if ev.Chat == ChatGroup && len(ev.Mentions) == 0 {
		ev.Mentions = d.strings(x.Atlist, "data.atlist", ev.Mentions)
		if len(ev.Mentions) == 0 && ev.Eyun.MsgSource != "" {
			d.msgSourceMentions(ev, ev.Eyun.MsgSource)
		}
	}
	if d.err != nil {
		return d.err
	}
	return nil
}

func (d *Decoder) eyunKind(ev *Event, mt, msgType int64, content string, x *eyunData) {
	var implied Kind
	defType := msgType
	switch mt {
	case 5, 9:
		if msgType == 0 || msgType == 1 {
			ev.Kind = KindText
			ev.Text = content
			return
		}
	case 0:
		implied, defType = KindFriendRequest, orType(msgType, 37)
	case 2, 3:
		implied, defType = KindContactCard, orType(msgType, 42)
	case 6, 10:
		implied, defType = KindImage, orType(msgType, 3)
	case 7, 11:
		implied, defType = KindVideo, orType(msgType, 43)
	case 8, 12:
		implied, defType = KindVoice, orType(msgType, 34)
	case 13, 14:
	case 4:
		ev.Kind = KindOffline
		return
	case eyunPingClass:
		// The optimized version's test callback ("00000") carries no
		// message: an account-level system event, delivered like one.
		ev.Kind = KindSystem
		ev.Text = content
		return
	case 15:
		ev.Kind = KindContactUpdate
		d.eyunContact(ev, x)
		return
	case 16:
		ev.Kind = KindRoomInfo
		ri := &ev.RoomInfo
		ri.ID = d.str(x.UserName, "data.userName")
		ri.Owner = d.str(x.ChatRoomOwner, "data.chatRoomOwner")
		ri.Notify = d.num(x.ChatRoomNotify, "data.chatRoomNotify")
		ri.Status = d.num(x.ChatRoomStatus, "data.chatRoomStatus")
		ri.Description = d.str(x.Description, "data.description")
		ri.Avatar = d.str(x.SmallHeadImgURL, "data.smallHeadImgUrl")
		ri.BitMask = d.num(x.BitMask, "data.bitMask")
		ri.AddContactScene = d.num(x.AddContactScene, "data.addContactScene")
		if ev.Room == "" {
			ev.Room = ri.ID
		}
		return
	case 17:
		ev.Kind = KindFriendDeleted
		d.eyunContact(ev, x)
		return
	default:
		ev.Kind = KindUnknown
		ev.Content = content
		ev.Problem = Problem{Field: "messageType", Detail: d.join("eyun messageType ", d.itoa(mt), " is not modelled")}
		return
	}
	ev.Kind = implied
	d.inContent, d.contentOff = true, d.offsetOf(x.Content)
	err := d.wechatContent(ev, Eyun, defType, content, "data.content", d.contentOff)
	d.endWeChatContent(ev, content, err)
}

// eyunContact reads the contact fields of messageType 15 and 17.
func (d *Decoder) eyunContact(ev *Event, x *eyunData) {
	c := &ev.Card
	c.UserID = d.str(x.UserName, "data.userName")
	c.Nickname = d.str(x.NickName, "data.nickName")
	c.Alias = d.str(x.Alias, "data.alias")
	c.Sex = d.num(x.Sex, "data.sex")
	c.Sign = d.str(x.Signature, "data.signature")
	c.Province = d.str(x.Province, "data.province")
	c.City = d.str(x.City, "data.city")
	c.Avatar = d.str(x.BigHeadImgURL, "data.bigHeadImgUrl")
	if c.Avatar == "" {
		c.Avatar = d.str(x.SmallHeadImgURL, "data.smallHeadImgUrl")
	}
	if ev.From == "" {
		ev.From = c.UserID
	}
}

// eyunPingClass stands, inside eyunEvent, for the optimized version's test
// callback, whose messageType "00000" reads as the raw class 0.
const eyunPingClass = -1

// isEyunPing reports whether messageType is the optimized version's test
// callback, "00000": five digits, which the raw friend request (0) never has.
func isEyunPing(v val) bool {
	b, ok := v.digits()
	return ok && string(b) == "00000"
}

// eyunOptimized maps a messageType of the optimized callbacks (the vendor's
// "优化版": 6xxxx private, 8xxxx group, the last three digits the kind) to the
// raw class that carries the same message, and to the WeChat msgType the kind
// implies when data.msgType is absent (0: let the raw class decide). ok is
// false for any other messageType, raw or not modelled.
func eyunOptimized(mt int64) (raw, msgType int64, ok bool) {
	var group bool
	switch {
	case mt >= 60000 && mt <= 60999:
	case mt >= 80000 && mt <= 80999:
		group = true
	default:
		return 0, 0, false
	}
	pick := func(private, grp int64) int64 {
		if group {
			return grp
		}
		return private
	}
	switch mt % 1000 {
	case 1: // text
		return pick(5, 9), 0, true
	case 2: // image
		return pick(6, 10), 0, true
	case 3: // video
		return pick(7, 11), 0, true
	case 4: // voice
		return pick(8, 12), 0, true
	case 5: // name card: the raw 3 is a private one, 2 a group one
		return pick(3, 2), 0, true
	case 6: // emoji
		return pick(13, 14), 47, true
	case 20: // location
		return pick(13, 14), 48, true
	case 7, 8, 9, 10, 11, 14: // link, file, mini program, chat history, quote: appmsg
		return pick(13, 14), 49, true
	case 999: // other: the content decides, as for the raw 13/14
		return pick(13, 14), 0, true
	}
	return 0, 0, false
}

func orType(got, def int64) int64 {
	if got != 0 {
		return got
	}
	return def
}

// isRoomID reports whether s names a WeChat group.
func isRoomID(s string) bool {
	const suffix = "@chatroom"
	return len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix
}

// splitSender splits the "sender:\n" (or "sender: \n") prefix WeChat puts in
// front of group message content. Only an id-shaped prefix is split, so text
// that merely contains a colon and a newline is left whole.
func splitSender(content string) (sender, rest string, ok bool) {
	for i := 0; i < len(content) && i <= 80; i++ {
		c := content[i]
		if c == ':' {
			if i == 0 {
				return "", content, false
			}
			j := i + 1
			if j < len(content) && content[j] == ' ' {
				j++
			}
			if j < len(content) && content[j] == '\n' {
				return content[:i], content[j+1:], true
			}
			return "", content, false
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '@' || c == '.') {
			return "", content, false
		}
	}
	return "", content, false
}
