package decoder

import "github.com/mailru/easyjson/jlexer"

// wecom builds the Event of a wecom callback: a message (private when it has
// to_id, group when it has room_id) or an event (ROOM_TOPIC, ROOM_JOIN,
// ROOM_LEAVE, LOGOUT, following the Wechaty puppet events).
func (d *Decoder) wecom(ev *Event) error {
	env := &d.env
	d.dialect = Wecom
	ev.Wecom.Seq = d.id(env.seq, "seq")
	ev.Wecom.Token = d.str(env.token, "token")
	switch {
	case env.hasMsg:
		d.wecomMessage(ev)
	case env.hasWev:
		d.wecomEvent(ev)
	default:
		return errNoOffset(CodeMissingField, Wecom, "message",
			"a wecom callback has a message or an event object")
	}
	if d.err != nil {
		return d.err
	}
	return nil
}

func (d *Decoder) wecomMessage(ev *Event) {
	m := &d.env.msg
	ev.ID = realID(d.id(m.ID, "message.id"))
	ev.Wecom.RemoteID = d.id(m.RemoteID, "message.remote_id")
	ts := d.num(m.Timestamp, "message.timestamp")
	ev.Time = millis(ts)
	ev.From = d.str(m.FromID, "message.from_id")
	ev.To = d.str(m.ToID, "message.to_id")
	ev.Room = d.str(m.RoomID, "message.room_id")
	ev.Chat = ChatPrivate
	if ev.Room != "" {
		ev.Chat = ChatGroup
	}
	typ := d.str(m.Type, "message.type")
	ev.Wecom.Type = typ
	text := d.str(m.Text, "message.text")

	peer := ev.To
	if ev.Chat == ChatGroup {
		peer = ev.Room
	}
	if ev.ID != "" {
		ev.DedupKey = d.dedupKey("wecom", ev.From, peer, ev.ID, d.itoa(ts))
	} else {
		ev.DedupKey = d.hashKey("wecom", ev.From, peer, ev.Wecom.Seq, typ, text)
	}
	if d.err != nil {
		return
	}

	switch typ {
	case "Text":
		ev.Kind = KindText
		ev.Text = text
		return
	case "Contact":
		// The text is the shared contact's user id.
		ev.Kind = KindContactCard
		ev.Card.UserID = text
		return
	case "Image", "Video", "Location", "MiniProgram", "Url":
	default:
		ev.Kind = KindUnknown
		ev.Content = text
		ev.Problem = Problem{Field: "message.type", Detail: d.join("wecom message type ", clipTypeName(typ), " is not modelled")}
		return
	}

	// Every other type carries a JSON document inside message.text.
	d.inContent, d.contentOff = true, d.offsetOf(m.Text)
	c := &d.wc
	*c = wecomContent{}
	l := &d.sub
	*l = jlexer.Lexer{Data: stringToBytes(text)}
	c.UnmarshalEasyJSON(l)
	l.Consumed()
	if err := l.Error(); err != nil {
		d.contentProblem(ev, "message.text", "the JSON inside message.text is unreadable: "+lexReason(err))
		return
	}
	switch typ {
	case "Image":
		ev.Kind = KindImage
		md := &ev.Media
		md.FileID = d.str(c.FileID, "message.text.file_id")
		md.FileName = d.str(c.FileName, "message.text.file_name")
		md.Size = d.num(c.Size, "message.text.size")
		md.Width = d.num(c.Width, "message.text.width")
		md.Height = d.num(c.Height, "message.text.height")
		md.AESKey = d.str(c.AESKey, "message.text.aes_key")
		md.MD5 = d.str(c.MD5, "message.text.md5")
		md.Thumb.Size = d.num(c.CDNLDSize, "message.text.wechat_cdn_ld_size")
	case "Video":
		ev.Kind = KindVideo
		md := &ev.Media
		md.FileID = d.str(c.VideoFileID, "message.text.video_file_id")
		md.Size = d.num(c.VideoSize, "message.text.video_size")
		md.Duration = d.num(c.VideoPlayTime, "message.text.video_play_time") * 1000
		md.AESKey = d.str(c.VideoAESKey, "message.text.video_aes_key")
		md.MD5 = d.str(c.VideoMD5, "message.text.video_md5")
		md.Width = d.num(c.Width, "message.text.width")
		md.Height = d.num(c.Height, "message.text.height")
		md.URL = d.str(c.URL, "message.text.url")
		md.AuthKey = d.str(c.WechatAuthKey, "message.text.wechat_auth_key")
		md.Thumb.URL = d.str(c.PrefaceImageURL, "message.text.preface_image_url")
		md.Thumb.Size = d.num(c.PrefaceImageSize, "message.text.preface_image_size")
	case "Location":
		ev.Kind = KindLocation
		lc := &ev.Location
		lc.Lat = d.float(c.Latitude, "message.text.latitude")
		lc.Lng = d.float(c.Longitude, "message.text.longitude")
		lc.Zoom = d.float(c.Zoom, "message.text.zoom")
		lc.Label = d.str(c.Address, "message.text.address")
		lc.POI = d.str(c.Title, "message.text.title")
	case "MiniProgram":
		ev.Kind = KindMiniProgram
		mp, p, f := &ev.MiniProgram, &c.Parameter, &c.Preface
		mp.Title = d.str(p.Title, "message.text.parameter.title")
		mp.AppID = d.str(p.ID, "message.text.parameter.id")
		mp.UserName = d.str(p.UserName, "message.text.parameter.user_name")
		mp.DisplayName = d.str(p.DisplayName, "message.text.parameter.display_name")
		mp.IconURL = d.str(p.IconURL, "message.text.parameter.icon_url")
		mp.PagePath = d.str(p.PagePath, "message.text.parameter.page_path")
		mp.TodoFlag = d.num(p.RoomTodoFlag, "message.text.parameter.room_todo_flag")
		mp.Thumb.FileID = d.str(f.FileID, "message.text.preface.file_id")
		mp.Thumb.MD5 = d.str(f.RawThumbMD5, "message.text.preface.raw_thumb_md5")
		mp.Thumb.Size = d.num(f.ThumbTotalSize, "message.text.preface.thumb_total_size")
		mp.Thumb.AESKey = d.str(f.AESKey, "message.text.preface.aes_key")
	case "Url":
		ev.Kind = KindLink
		lk := &ev.Link
		lk.Title = d.str(c.Title, "message.text.title")
		lk.Desc = d.str(c.Desc, "message.text.desc")
		lk.URL = d.str(c.URL, "message.text.url")
		lk.ThumbURL = d.str(c.ThumbURL, "message.text.thumb_url")
	}
	d.endContent(ev, text)
}

func (d *Decoder) wecomEvent(ev *Event) {
	e := &d.env.wev
	p := &e.Payload
	typ := d.str(e.EventType, "event.event_type")
	ev.Wecom.EventType = typ
	ev.Wecom.Extension = d.str(p.Extension, "event.payload.extension")
	ev.Room = d.str(p.RoomID, "event.payload.room_id")
	ts := d.num(p.Timestamp, "event.payload.timestamp")
	ev.Time = millis(ts)
	if ev.Room != "" {
		ev.Chat = ChatGroup
	}
	rc := &ev.RoomChange
	switch typ {
	case "ROOM_TOPIC":
		ev.Kind = KindRoomTopic
		rc.Actor = d.str(p.ChangerID, "event.payload.changer_id")
		rc.Topic = d.str(p.NewTopic, "event.payload.new_topic")
		ev.From = rc.Actor
	case "ROOM_JOIN":
		ev.Kind = KindRoomJoin
		rc.Actor = d.str(p.InviterID, "event.payload.inviter_id")
		rc.Members = d.members(p.InviteeIDList, "event.payload.invitee_id_list", rc.Members)
		ev.From = rc.Actor
	case "ROOM_LEAVE":
		ev.Kind = KindRoomLeave
		rc.Actor = d.str(p.RemoverID, "event.payload.remover_id")
		rc.Members = d.members(p.RemoveeIDList, "event.payload.removee_id_list", rc.Members)
		ev.From = rc.Actor
	case "LOGOUT":
		ev.Kind = KindLogout
		ev.Text = d.str(p.Data, "event.payload.data")
	default:
		ev.Kind = KindUnknown
		ev.Problem = Problem{Field: "event.event_type", Detail: d.join("wecom event type ", clipTypeName(typ), " is not modelled")}
	}
	// Events carry no id; the extension blob is unique per event, and the
	// session token identifies the account for LOGOUT, which has nothing else.
	token := ""
	if ev.Kind == KindLogout {
		token = ev.Wecom.Token
	}
	ev.DedupKey = d.hashKey("wecom", typ, ev.Room, d.itoa(ts), ev.Wecom.Extension, ev.Text, token)
}
