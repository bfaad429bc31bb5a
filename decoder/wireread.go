package decoder

import (
	"strings"

	"github.com/mailru/easyjson/jlexer"
)

// Hand-written readers for the wire objects of the text paths (eyun's and
// dll's "data", wecom's "message", GeWe's "Data"). They drive jlexer as the
// code easyjson generates for these structs does (wire_easyjson.go), token
// for token, with fewer calls per member:
//
//   - a member name is read without looking for escapes (UnsafeFieldName
//     with skipUnescape): none of the names we match has a backslash, so
//     an escaped name can only matter when no case matched, and only then
//     is it unescaped (escapedName) and matched again;
//   - a value is captured with one Raw (val.set) instead of IsNull, then
//     Skip or a call to val.UnmarshalEasyJSON.
//
// The generated UnmarshalEasyJSON of each struct stays: it is the reference
// TestWireReadersMatchGenerated holds these readers to, field by field, for
// every json tag of the struct, so a field added to a struct and forgotten
// here fails that test.

// set stores b, the value Raw has just captured, into v as the generated
// code does: null leaves v as it was, anything else (or nil, after an
// error) replaces it. (Small enough to be inlined, with Raw inlined at the
// call site: a call per member is a good part of what these readers save.)
func (v *val) set(b []byte) {
	// Raw has validated the token: a 4-byte value starting with 'n' is null.
	if len(b) != 4 || b[0] != 'n' {
		v.b = b
	}
}

// readIDs captures a value that is usually an array of ids (strings or
// numbers), ending where Raw would and failing where Raw would, without
// the cost of Raw on an array: the byte scan to its end, then json.Valid of
// every byte (an indirect call each), about 1,000 instructions for one id.
//
// The array is read element by element on a copy of the lexer; jlexer checks
// its structure (brackets, commas), and validScalar holds each scalar
// element to what json.Valid accepts, which jlexer alone does not (it takes
// 01, "\q" or a raw control character). Nested arrays and objects go through
// Raw and so json.Valid. Anything the copy cannot read is read again from
// the original lexer by Raw, so errors are Raw's own.
func (v *val) readIDs(l *jlexer.Lexer) {
	if !l.IsDelim('[') || !l.Ok() {
		v.set(l.Raw())
		return
	}
	start := l.GetPos() - 1 // the lexer has fetched the '['
	try := *l
	try.Delim('[')
	for !try.IsDelim(']') {
		if !validScalar(try.Raw()) {
			v.set(l.Raw())
			return
		}
		try.WantComma()
	}
	try.Delim(']')
	if !try.Ok() {
		v.set(l.Raw())
		return
	}
	*l = try
	v.b = l.Data[start:l.GetPos()]
}

// validScalar reports whether b, a value Raw returned without error, is
// valid JSON as json.Valid sees it. Raw has validated arrays and objects
// (with json.Valid) and true, false and null; strings and numbers are
// checked here.
func validScalar(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch c := b[0]; {
	case c == '{' || c == '[' || c == 't' || c == 'f' || c == 'n':
		return true
	case c == '"':
		return validString(b[1 : len(b)-1])
	case c == '-' || c >= '0' && c <= '9':
		return validNumber(b)
	}
	return false
}

// validString reports whether s, the content of a JSON string token as
// jlexer delimits it, has no control character and only valid escapes.
func validString(s []byte) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20:
			return false
		case c == '\\':
			i++
			if i == len(s) {
				return false
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if _, ok := hex4(s[i+1:]); !ok {
					return false
				}
				i += 4
			default:
				return false
			}
		}
	}
	return true
}

// validNumber reports whether b is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// unmarshaler is a wire type decoded by its own UnmarshalEasyJSON.
type unmarshaler interface{ UnmarshalEasyJSON(*jlexer.Lexer) }

// nested decodes a nested wire object as the generated code does: null is
// skipped, anything else goes to the type's UnmarshalEasyJSON.
func nested(l *jlexer.Lexer, u unmarshaler) {
	if l.IsNull() {
		l.Skip()
		return
	}
	u.UnmarshalEasyJSON(l)
}

// escapedName returns the unescaped form of key, the member name just read
// with UnsafeFieldName(true), and true when key has an escape. An invalid escape is the
// error UnsafeFieldName(false) would have reported, at the same offset.
// Only names that matched nothing get here, so the common path never looks
// for a backslash.
func escapedName(l *jlexer.Lexer, key string) (string, bool) {
	if strings.IndexByte(key, '\\') < 0 || !l.Ok() {
		return "", false
	}
	// The lexer stands right after the name's closing quote.
	end := l.GetPos()
	start := end - len(key) - 2
	sub := jlexer.Lexer{Data: l.Data[start:end]}
	name := sub.UnsafeFieldName(false)
	if err := sub.Error(); err != nil {
		reason := err.Error()
		if le, ok := err.(*jlexer.LexerError); ok {
			reason = le.Reason
		}
		l.AddError(&jlexer.LexerError{Reason: reason, Offset: end, Data: errorContext(l.Data, end)})
		return "", true
	}
	return name, true
}

// errorContext is the Data jlexer puts in a LexerError at offset pos.
func errorContext(data []byte, pos int) string {
	const maxLen = 13
	if len(data)-pos <= maxLen {
		return string(data)
	}
	return string(data[pos:pos+maxLen-3]) + "..."
}

// read decodes eyun's "data" object as its generated UnmarshalEasyJSON
// does (TestWireReadersMatchGenerated compares them).
func (x *eyunData) read(l *jlexer.Lexer) {
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(true) // unescaped only if no case matches
		l.WantColon()
		escaped := false
	member:
		switch key {
		case "content":
			x.Content.set(l.Raw())
		case "fromUser":
			x.FromUser.set(l.Raw())
		case "fromGroup":
			x.FromGroup.set(l.Raw())
		case "toUser":
			x.ToUser.set(l.Raw())
		case "msgId":
			x.MsgID.set(l.Raw())
		case "newMsgId":
			x.NewMsgID.set(l.Raw())
		case "msgType":
			x.MsgType.set(l.Raw())
		case "timestamp":
			x.Timestamp.set(l.Raw())
		case "self":
			x.Self.set(l.Raw())
		case "wId":
			x.WID.set(l.Raw())
		case "img":
			x.Img.set(l.Raw())
		case "length":
			x.Length.set(l.Raw())
		case "voiceLength":
			x.VoiceLength.set(l.Raw())
		case "msgSource":
			x.MsgSource.set(l.Raw())
		case "atlist":
			x.Atlist.readIDs(l)
		case "userName":
			x.UserName.set(l.Raw())
		case "nickName":
			x.NickName.set(l.Raw())
		case "alias":
			x.Alias.set(l.Raw())
		case "sex":
			x.Sex.set(l.Raw())
		case "signature":
			x.Signature.set(l.Raw())
		case "province":
			x.Province.set(l.Raw())
		case "city":
			x.City.set(l.Raw())
		case "bigHeadImgUrl":
			x.BigHeadImgURL.set(l.Raw())
		case "smallHeadImgUrl":
			x.SmallHeadImgURL.set(l.Raw())
		case "chatRoomOwner":
			x.ChatRoomOwner.set(l.Raw())
		case "chatRoomNotify":
			x.ChatRoomNotify.set(l.Raw())
		case "chatRoomStatus":
			x.ChatRoomStatus.set(l.Raw())
		case "description":
			x.Description.set(l.Raw())
		case "bitMask":
			x.BitMask.set(l.Raw())
		case "addContactScene":
			x.AddContactScene.set(l.Raw())
		default:
			if !escaped {
				if key, escaped = escapedName(l, key); escaped {
					goto member
				}
			}
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
}

// read decodes the dll vendor's "data" object as its generated
// UnmarshalEasyJSON does.
func (x *dllData) read(l *jlexer.Lexer) {
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(true) // unescaped only if no case matches
		l.WantColon()
		escaped := false
	member:
		switch key {
		case "instanceId":
			x.InstanceID.set(l.Raw())
		case "robotId":
			x.RobotID.set(l.Raw())
		case "sendTime":
			x.SendTime.set(l.Raw())
		case "localId":
			x.LocalID.set(l.Raw())
		case "serverId":
			x.ServerID.set(l.Raw())
		case "appInfo":
			x.AppInfo.set(l.Raw())
		case "messageType":
			x.MessageType.set(l.Raw())
		case "cdnData":
			nested(l, &x.CDNData)
		case "cdnType":
			x.CDNType.set(l.Raw())
		case "height":
			x.Height.set(l.Raw())
		case "width":
			x.Width.set(l.Raw())
		case "duration":
			x.Duration.set(l.Raw())
		case "messageSource":
			x.MessageSource.set(l.Raw())
		case "conversationId":
			x.ConversationID.set(l.Raw())
		case "fromWxId":
			x.FromWxID.set(l.Raw())
		case "toWxId":
			x.ToWxID.set(l.Raw())
		case "fromNickName":
			x.FromNickName.set(l.Raw())
		case "isPc":
			x.IsPC.set(l.Raw())
		case "message":
			x.Message.set(l.Raw())
		case "atWxIdList":
			x.AtWxIDList.readIDs(l)
		case "quoteAppInfo":
			x.QuoteAppInfo.set(l.Raw())
		case "quoteMessage":
			x.QuoteMessage.set(l.Raw())
		case "type":
			x.Type.set(l.Raw())
		case "sourceType":
			x.SourceType.set(l.Raw())
		case "url":
			x.URL.set(l.Raw())
		case "userId":
			x.UserID.set(l.Raw())
		case "nickname":
			x.Nickname.set(l.Raw())
		case "avatarUrl":
			x.AvatarURL.set(l.Raw())
		case "corpId":
			x.CorpID.set(l.Raw())
		case "corpName":
			x.CorpName.set(l.Raw())
		case "source":
			x.Source.set(l.Raw())
		case "appId":
			x.AppID.set(l.Raw())
		case "appName":
			x.AppName.set(l.Raw())
		case "appIcon":
			x.AppIcon.set(l.Raw())
		case "pagePath":
			x.PagePath.set(l.Raw())
		case "title":
			x.Title.set(l.Raw())
		case "username":
			x.Username.set(l.Raw())
		case "thumbWidth":
			x.ThumbWidth.set(l.Raw())
		case "thumbHeight":
			x.ThumbHeight.set(l.Raw())
		case "coverUrl":
			x.CoverURL.set(l.Raw())
		case "desc":
			x.Desc.set(l.Raw())
		case "extras":
			x.Extras.set(l.Raw())
		case "feedType":
			x.FeedType.set(l.Raw())
		case "objectId":
			x.ObjectID.set(l.Raw())
		case "objectNonceId":
			x.ObjectNonceID.set(l.Raw())
		case "thumbUrl":
			x.ThumbURL.set(l.Raw())
		case "c2cCdnData":
			nested(l, &x.C2CCDNData)
		case "textContent":
			x.TextContent.set(l.Raw())
		case "emotionList":
			x.EmotionList.set(l.Raw())
		case "imageList":
			x.ImageList.set(l.Raw())
		case "messageServerId":
			x.MessageServerID.set(l.Raw())
		case "opUserId":
			x.OpUserID.set(l.Raw())
		case "roomId":
			x.RoomID.set(l.Raw())
		case "wxNum":
			x.WxNum.set(l.Raw())
		case "device":
			x.Device.set(l.Raw())
		case "phone":
			x.Phone.set(l.Raw())
		case "country":
			x.Country.set(l.Raw())
		case "province":
			x.Province.set(l.Raw())
		case "timeStamp":
			x.TimeStamp.set(l.Raw())
		case "messageId":
			x.MessageID.set(l.Raw())
		case "fromType":
			x.FromType.set(l.Raw())
		default:
			if !escaped {
				if key, escaped = escapedName(l, key); escaped {
					goto member
				}
			}
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
}

// read decodes wecom's "message" object as its generated UnmarshalEasyJSON
// does.
func (x *wecomMessage) read(l *jlexer.Lexer) {
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(true) // unescaped only if no case matches
		l.WantColon()
		escaped := false
	member:
		switch key {
		case "id":
			x.ID.set(l.Raw())
		case "remote_id":
			x.RemoteID.set(l.Raw())
		case "text":
			x.Text.set(l.Raw())
		case "timestamp":
			x.Timestamp.set(l.Raw())
		case "type":
			x.Type.set(l.Raw())
		case "from_id":
			x.FromID.set(l.Raw())
		case "to_id":
			x.ToID.set(l.Raw())
		case "room_id":
			x.RoomID.set(l.Raw())
		default:
			if !escaped {
				if key, escaped = escapedName(l, key); escaped {
					goto member
				}
			}
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
}

// read decodes GeWe's "Data" object as its generated UnmarshalEasyJSON
// does.
func (x *geweData) read(l *jlexer.Lexer) {
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(true) // unescaped only if no case matches
		l.WantColon()
		escaped := false
	member:
		switch key {
		case "MsgId":
			x.MsgID.set(l.Raw())
		case "NewMsgId":
			x.NewMsgID.set(l.Raw())
		case "FromUserName":
			nested(l, &x.FromUserName)
		case "ToUserName":
			nested(l, &x.ToUserName)
		case "MsgType":
			x.MsgType.set(l.Raw())
		case "Content":
			nested(l, &x.Content)
		case "Status":
			x.Status.set(l.Raw())
		case "ImgBuf":
			nested(l, &x.ImgBuf)
		case "CreateTime":
			x.CreateTime.set(l.Raw())
		case "MsgSource":
			x.MsgSource.set(l.Raw())
		case "PushContent":
			x.PushContent.set(l.Raw())
		case "MsgSeq":
			x.MsgSeq.set(l.Raw())
		case "UserName":
			nested(l, &x.UserName)
		case "NickName":
			nested(l, &x.NickName)
		case "Alias":
			x.Alias.set(l.Raw())
		case "Sex":
			x.Sex.set(l.Raw())
		case "Province":
			x.Province.set(l.Raw())
		case "City":
			x.City.set(l.Raw())
		case "Signature":
			x.Signature.set(l.Raw())
		case "BigHeadImgUrl":
			x.BigHeadImgURL.set(l.Raw())
		case "SmallHeadImgUrl":
			x.SmallHeadImgURL.set(l.Raw())
		case "BitMask":
			x.BitMask.set(l.Raw())
		case "ChatRoomNotify":
			x.ChatRoomNotify.set(l.Raw())
		case "AddContactScene":
			x.AddContactScene.set(l.Raw())
		case "ChatRoomOwner":
			x.ChatRoomOwner.set(l.Raw())
		case "ChatroomStatus":
			x.ChatroomStatus.set(l.Raw())
		case "DeleteContactScen":
			x.DeleteContactScen.set(l.Raw())
		default:
			if !escaped {
				if key, escaped = escapedName(l, key); escaped {
					goto member
				}
			}
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
}
