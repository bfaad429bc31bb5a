package decoder

// dllEvent builds the Event of a dll (personal-WeChat DLL vendor) callback.
// Every event shares the envelope {event, description, time, data}; the data
// object's fields are those of the vendor's page for the event (seed D for
// video 20004; testdata/SOURCES.md cites the others), mapped as the dll table
// of docs/SCHEMA.md says: text 20002 (a quote when it carries quoteMessage),
// video 20004, emoji 20006, name card 20008, mini program 20009, channels
// 20010, voice 20012, text with images 20014 (no canonical kind: unknown, raw
// kept), recall 20015, friend deleted 20019, login 10001 and the older
// private message 10002.
func (d *Decoder) dllEvent(ev *Event) error {
	env := &d.env
	d.dialect = DLL
	code := d.str(env.event, "event")
	if code == "" && d.err == nil {
		return errNoOffset(CodeMissingField, DLL, "event",
			"a dll callback has an event code")
	}
	if !env.hasData {
		return errNoOffset(CodeMissingField, DLL, "data",
			"a dll callback has a data object")
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
	// The message's id: serverId, else localId; the older 10002 names it
	// messageId. A recall (20015) has none of its own: messageServerId is the
	// recalled message's, so its key is the hash form.
	ev.ID = realID(dl.ServerID)
	if ev.ID == "" {
		ev.ID = realID(dl.LocalID)
	}
	if code == "10002" {
		if ev.ID == "" {
			ev.ID = realID(d.id(x.MessageID, "data.messageId"))
		}
		if dl.SendTime == 0 { // 10002 names sendTime timeStamp
			dl.SendTime = millis(d.num(x.TimeStamp, "data.timeStamp"))
		}
		if ev.Time == 0 {
			ev.Time = dl.SendTime
		}
		dl.FromType = d.str(x.FromType, "data.fromType")
	}

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
	}

	switch code {
	case "20002", "10002":
		ev.Kind = KindText
		ev.Text = d.str(x.Message, "data.message")
		if ev.From == ev.Room && ev.Room != "" {
			// Only the room was named as the sender: the text may start
			// with the member's "sender:\n", as WeChat's own content does.
			if sender, rest, ok := splitSender(ev.Text); ok {
				ev.From, ev.Text = sender, rest
			}
		}
		ev.Mentions = d.strings(x.AtWxIDList, "data.atWxIdList", ev.Mentions)
		dl.QuoteAppInfo = d.str(x.QuoteAppInfo, "data.quoteAppInfo")
		if q := d.str(x.QuoteMessage, "data.quoteMessage"); q != "" {
			// A reply quoting a message: the reply stays in text, the
			// quoted message's text nests in quote (quoteAppInfo, whose
			// meaning the page does not give, stays in dll).
			ev.Kind = KindQuote
			ev.Quote.Text = q
		}
	case "20004":
		ev.Kind = KindVideo
		d.dllMedia(ev, x, &x.CDNData, &dllCDNPaths)
	case "20005":
		ev.Kind = KindFile
		d.dllMedia(ev, x, &x.CDNData, &dllCDNPaths)
	case "20006":
		ev.Kind = KindEmoji
		d.dllMedia(ev, x, &x.CDNData, &dllCDNPaths)
		if u := d.str(x.URL, "data.url"); u != "" {
			ev.Media.URL = u
		}
		dl.Type = d.num(x.Type, "data.type")
		dl.SourceType = d.num(x.SourceType, "data.sourceType")
	case "20010":
		// A shared Channels post: the page's fields are the appmsg 51
		// <finderFeed>'s, flattened.
		ev.Kind = KindChannels
		c := &ev.Channels
		c.ObjectID = d.id(x.ObjectID, "data.objectId")
		c.NonceID = d.str(x.ObjectNonceID, "data.objectNonceId")
		c.FeedType = d.num(x.FeedType, "data.feedType")
		c.Nickname = d.str(x.Nickname, "data.nickname")
		c.Title = d.str(x.Title, "data.title")
		c.Desc = d.str(x.Desc, "data.desc")
		c.URL = d.str(x.URL, "data.url")
		c.ThumbURL = d.str(x.ThumbURL, "data.thumbUrl")
		c.CoverURL = d.str(x.CoverURL, "data.coverUrl")
		dl.Extras = d.str(x.Extras, "data.extras")
	case "20012":
		ev.Kind = KindVoice
		d.dllMedia(ev, x, &x.C2CCDNData, &dllC2CPaths)
		if ev.Media.Duration == 0 {
			ev.Media.Duration = d.num(x.C2CCDNData.VoiceTime, "data.c2cCdnData.voice_time") * 1000
		}
	case "20008":
		ev.Kind = KindContactCard
		c := &ev.Card
		c.UserID = d.str(x.UserID, "data.userId")
		c.Nickname = d.str(x.Nickname, "data.nickname")
		c.Avatar = d.str(x.AvatarURL, "data.avatarUrl")
		c.CorpID = d.num(x.CorpID, "data.corpId")
		c.CorpName = d.str(x.CorpName, "data.corpName")
		dl.Source = d.str(x.Source, "data.source")
	case "20009":
		ev.Kind = KindMiniProgram
		m := &ev.MiniProgram
		m.AppID = d.str(x.AppID, "data.appId")
		m.UserName = d.str(x.Username, "data.username")
		m.DisplayName = d.str(x.AppName, "data.appName")
		m.IconURL = d.str(x.AppIcon, "data.appIcon")
		m.PagePath = d.str(x.PagePath, "data.pagePath")
		m.Title = d.str(x.Title, "data.title")
		c, t := &x.CDNData, &m.Thumb
		t.URL = d.str(c.URL, "data.cdnData.url")
		t.FileID = d.str(c.FileID, "data.cdnData.file_id")
		t.AESKey = d.str(c.AESKey, "data.cdnData.aes_key")
		t.MD5 = d.str(c.MD5, "data.cdnData.md5")
		t.Size = d.num(c.Size, "data.cdnData.size")
		t.Width = d.num(x.ThumbWidth, "data.thumbWidth")
		t.Height = d.num(x.ThumbHeight, "data.thumbHeight")
		t.CDNType = d.num(x.CDNType, "data.cdnType")
	case "20015":
		ev.Kind = KindRecall
		ev.Recall.ID = realID(d.id(x.MessageServerID, "data.messageServerId"))
		if op := d.str(x.OpUserID, "data.opUserId"); op != "" {
			ev.From = op
		}
		// roomId is "0" when the recall is not in a group.
		if room := d.id(x.RoomID, "data.roomId"); realID(room) != "" {
			ev.Room, ev.Chat = room, ChatGroup
			ev.Recall.Session = room
		}
	case "20019":
		ev.Kind, ev.Chat = KindFriendDeleted, ChatNone
		ev.Card.UserID = ev.From
		ev.Card.Nickname = ev.FromName
	case "10001":
		ev.Kind, ev.Chat = KindLogin, ChatNone
		c := &ev.Card
		c.UserID = dl.RobotID // the page: robotId is the account's wxid
		c.Alias = d.str(x.WxNum, "data.wxNum")
		c.Nickname = d.str(x.Nickname, "data.nickname")
		c.Avatar = d.str(x.AvatarURL, "data.avatarUrl")
		c.Province = d.str(x.Province, "data.province")
		dl.Country = d.str(x.Country, "data.country")
		dl.Device = d.str(x.Device, "data.device")
		dl.Phone = d.str(x.Phone, "data.phone")
	case "20014":
		// The page is titled 收到图文消息事件 (its description says 位置消息事件,
		// a copy slip): text, emoticons and images in one message. The
		// model has no kind for it yet: the text is kept in content, the
		// rest in raw.
		ev.Kind = KindUnknown
		ev.Content = d.str(x.TextContent, "data.textContent")
		ev.Problem = Problem{Field: "event",
			Detail: "dll event 20014 (text with images: textContent, emotionList, imageList) is not modelled"}
	default:
		ev.Kind = KindUnknown
		ev.Problem = Problem{Field: "event", Detail: d.join("dll event ", clipTypeName(code), " is not modelled")}
	}

	if ev.ID != "" {
		ev.DedupKey = d.dedupKey("dll", dl.RobotID, code, ev.ID)
	} else {
		raw := d.src[env.dataStart:env.dataEnd]
		ev.DedupKey = d.hashKey("dll", dl.RobotID, code, bytesToString(raw))
	}
	if d.err != nil {
		return d.err
	}
	return nil
}

// dllCDNFields are the JSON paths of a cdn object's fields, for errors.
type dllCDNFields struct {
	url, fileID, aesKey, authKey, fileName, md5, size, width, height, previewURL, previewSize string
}

var (
	dllCDNPaths = dllCDNFields{"data.cdnData.url", "data.cdnData.file_id", "data.cdnData.aes_key",
		"data.cdnData.auth_key", "data.cdnData.file_name", "data.cdnData.md5", "data.cdnData.size",
		"data.cdnData.width", "data.cdnData.height", "data.cdnData.preview_img_url", "data.cdnData.preview_img_size"}
	dllC2CPaths = dllCDNFields{"data.c2cCdnData.url", "data.c2cCdnData.file_id", "data.c2cCdnData.aes_key",
		"data.c2cCdnData.auth_key", "data.c2cCdnData.file_name", "data.c2cCdnData.md5", "data.c2cCdnData.size",
		"data.c2cCdnData.width", "data.c2cCdnData.height", "data.c2cCdnData.preview_img_url",
		"data.c2cCdnData.preview_img_size"}
)

// dllMedia reads a cdnData (or c2cCdnData) object and the media fields of
// the data object. For video, data.width/height/duration describe the video
// and cdnData's width/height its preview image. duration is in seconds.
func (d *Decoder) dllMedia(ev *Event, x *dllData, c *dllCDN, f *dllCDNFields) {
	m := &ev.Media
	m.URL = d.str(c.URL, f.url)
	m.FileID = d.str(c.FileID, f.fileID)
	m.AESKey = d.str(c.AESKey, f.aesKey)
	m.AuthKey = d.str(c.AuthKey, f.authKey)
	m.FileName = d.str(c.FileName, f.fileName)
	m.MD5 = d.str(c.MD5, f.md5)
	m.Size = d.num(c.Size, f.size)
	m.CDNType = d.num(x.CDNType, "data.cdnType")
	m.Duration = d.num(x.Duration, "data.duration") * 1000
	m.Width = d.num(x.Width, "data.width")
	m.Height = d.num(x.Height, "data.height")
	cw, ch := d.num(c.Width, f.width), d.num(c.Height, f.height)
	if c.PreviewImgURL.IsDefined() || c.PreviewImgSize.IsDefined() {
		m.Thumb.URL = d.str(c.PreviewImgURL, f.previewURL)
		m.Thumb.Size = d.num(c.PreviewImgSize, f.previewSize)
		m.Thumb.Width, m.Thumb.Height = cw, ch
	} else if m.Width == 0 && m.Height == 0 {
		m.Width, m.Height = cw, ch
	}
}
