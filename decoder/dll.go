package decoder

// dllEvent builds the Event of a dll (personal-WeChat DLL vendor) callback.
// The vendor documents the video event (20004); the envelope and data object
// are shared by its other event codes, modelled here as documented in
// docs/SCHEMA.md: text 20002, emoji 20006, name card 20008, mini program
// 20009, voice 20012, recall 20015, friend deleted 20019, login 10001 and the
// older private message 10002.
func (d *Decoder) dllEvent(ev *Event) error {
	env := &d.env
	d.dialect = DLL
	code := d.str(env.event, "event")
	if code == "" && d.err == nil {
		return &Error{Code: CodeMissingField, Dialect: DLL, Field: "event", Offset: -1,
			Detail: "a dll callback has an event code"}
	}
	if !env.hasData {
		return &Error{Code: CodeMissingField, Dialect: DLL, Field: "data", Offset: -1,
			Detail: "a dll callback has a data object"}
	}
	x := &env.dll
	dl := &ev.DLL
	dl.Event = code
	dl.Description = d.str(env.description, "description")
	dl.InstanceID = d.str(x.InstanceID, "data.instanceId")
	dl.RobotID = d.str(x.RobotID, "data.robotId")
	dl.SendTime = millis(d.num(x.SendTime, "data.sendTime"))
	dl.LocalID = d.id(x.LocalID, "data.localId")
	dl.ServerID = d.id(x.ServerID, "data.serverId")
	dl.AppInfo = d.str(x.AppInfo, "data.appInfo")
	dl.MessageType = d.num(x.MessageType, "data.messageType")
	dl.MessageSource = d.num(x.MessageSource, "data.messageSource")
	dl.ConversationID = d.str(x.ConversationID, "data.conversationId")
	dl.IsPC = d.num(x.IsPC, "data.isPc")

	ev.Time = millis(d.num(env.time, "time"))
	if ev.Time == 0 {
		ev.Time = dl.SendTime
	}
	ev.Account = dl.RobotID
	ev.From = d.str(x.FromWxID, "data.fromWxId")
	ev.To = d.str(x.ToWxID, "data.toWxId")
	ev.FromName = d.str(x.FromNickName, "data.fromNickName")
	ev.Self = dl.MessageSource == 1
	ev.ID = realID(dl.ServerID)
	if ev.ID == "" {
		ev.ID = realID(dl.LocalID)
	}
	content := d.str(x.Content, "data.content")

	switch {
	case isRoomID(dl.ConversationID):
		ev.Room = dl.ConversationID
	case isRoomID(ev.From):
		ev.Room = ev.From
	case isRoomID(ev.To):
		ev.Room = ev.To
	}
	ev.Chat = ChatPrivate
	if ev.Room != "" {
		ev.Chat = ChatGroup
		if sender, rest, ok := splitSender(content); ok {
			content = rest
			if ev.From == ev.Room {
				ev.From = sender
			}
		}
	}

	if ev.ID != "" {
		ev.DedupKey = d.dedupKey("dll", dl.RobotID, ev.ID)
	} else {
		raw := d.src[env.dataStart:env.dataEnd]
		ev.DedupKey = d.hashKey("dll", dl.RobotID, code, bytesToString(raw))
	}
	if d.err != nil {
		return d.err
	}

	switch code {
	case "20002", "10002":
		ev.Kind = KindText
		ev.Text = content
		ev.Mentions = d.strings(x.AtList, "data.atList", ev.Mentions)
	case "20004":
		ev.Kind = KindVideo
		d.dllMedia(ev, x)
	case "20006":
		ev.Kind = KindEmoji
		d.dllMedia(ev, x)
	case "20012":
		ev.Kind = KindVoice
		d.dllMedia(ev, x)
	case "20008", "20009":
		ev.Kind, ev.Text = KindContactCard, ""
		msgType := int64(42)
		if code == "20009" {
			ev.Kind, msgType = KindMiniProgram, 49
		}
		d.inContent, d.contentOff = true, d.offsetOf(x.Content)
		err := d.nativeContent(ev, DLL, msgType, content, "data.content", d.contentOff)
		d.endNative(ev, content, err)
	case "20015":
		ev.Kind = KindRecall
		ev.Recall.ID = d.id(x.RevokeServerID, "data.revokeServerId")
		ev.Recall.Text = content
		ev.Recall.Session = dl.ConversationID
	case "20019":
		ev.Kind, ev.Chat = KindFriendDeleted, ChatNone
		ev.Card.UserID = ev.From
		ev.Card.Nickname = ev.FromName
	case "10001":
		ev.Kind, ev.Chat = KindLogin, ChatNone
		c := &ev.Card
		c.UserID = d.str(x.WxID, "data.wxId")
		c.Nickname = d.str(x.NickName, "data.nickName")
		c.Avatar = d.str(x.Avatar, "data.avatar")
		if c.UserID != "" {
			ev.Account = c.UserID
		}
	default:
		ev.Kind = KindUnknown
		ev.Content = content
		ev.Problem = Problem{Field: "event", Detail: d.join("dll event ", quoteType(code), " is not modelled")}
	}
	if d.err != nil {
		return d.err
	}
	return nil
}

// dllMedia reads cdnData and the media fields of the data object. For video,
// data.width/height/duration describe the video and cdnData's width/height
// its preview image.
func (d *Decoder) dllMedia(ev *Event, x *dllData) {
	c, m := &x.CDNData, &ev.Media
	m.URL = d.str(c.URL, "data.cdnData.url")
	m.AESKey = d.str(c.AESKey, "data.cdnData.aes_key")
	m.AuthKey = d.str(c.AuthKey, "data.cdnData.auth_key")
	m.FileName = d.str(c.FileName, "data.cdnData.file_name")
	m.MD5 = d.str(c.MD5, "data.cdnData.md5")
	m.Size = d.num(c.Size, "data.cdnData.size")
	m.CDNType = d.num(x.CDNType, "data.cdnType")
	m.Duration = d.num(x.Duration, "data.duration") * 1000
	m.Width = d.num(x.Width, "data.width")
	m.Height = d.num(x.Height, "data.height")
	cw, ch := d.num(c.Width, "data.cdnData.width"), d.num(c.Height, "data.cdnData.height")
	if c.PreviewImgURL.IsDefined() || c.PreviewImgSize.IsDefined() {
		m.Thumb.URL = d.str(c.PreviewImgURL, "data.cdnData.preview_img_url")
		m.Thumb.Size = d.num(c.PreviewImgSize, "data.cdnData.preview_img_size")
		m.Thumb.Width, m.Thumb.Height = cw, ch
	} else if m.Width == 0 && m.Height == 0 {
		m.Width, m.Height = cw, ch
	}
}
