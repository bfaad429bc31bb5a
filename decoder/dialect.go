package decoder

// Dialect names a vendor's callback format.
type Dialect uint8

const (
	// Auto asks the Decoder to detect the dialect from the top-level keys.
	Auto Dialect = iota
	// Wecom is the WeCom protocol vendor: {seq, token, message|event}.
	Wecom
	// Eyun is Eyun's raw callback: {wcId, account, messageType, data}.
	Eyun
	// DLL is the personal-WeChat DLL vendor: {event, description, time, data}.
	DLL
	// Gewe is GeWe (gewechat): {TypeName, Appid, Wxid, Data}. It comes last:
	// the numeric values of the dialects before it are part of the wasm ABI.
	Gewe
)

var dialectNames = [...]string{Auto: "auto", Wecom: "wecom", Eyun: "eyun", DLL: "dll", Gewe: "gewe"}

// String returns the dialect's canonical name ("wecom", "eyun", "dll", "gewe"
// or "auto").
func (d Dialect) String() string {
	if int(d) < len(dialectNames) {
		return dialectNames[d]
	}
	return "auto"
}

// ParseDialect maps a name to a Dialect. "" and "auto" give Auto.
func ParseDialect(s string) (Dialect, bool) {
	switch s {
	case "", "auto":
		return Auto, true
	case "wecom":
		return Wecom, true
	case "eyun":
		return Eyun, true
	case "dll":
		return DLL, true
	case "gewe":
		return Gewe, true
	}
	return Auto, false
}

// Kind is what a callback is about. Its String form is the canonical "kind".
type Kind uint8

// The kinds of event. KindUnknown keeps the raw payload.
const (
	KindUnknown Kind = iota
	KindText
	KindImage
	KindVoice
	KindVideo
	KindEmoji
	KindLocation
	KindLink
	KindFile
	KindMiniProgram
	KindContactCard
	KindChatHistory
	KindTransfer
	KindRedPacket
	KindQuote
	KindPat
	KindRecall
	KindSystem
	KindFriendRequest
	KindFriendDeleted
	KindContactUpdate
	KindRoomJoin
	KindRoomLeave
	KindRoomTopic
	KindRoomInfo
	KindRoomEnter
	KindLogin
	KindLogout
	KindOffline
	// The kinds below were added after the ones above; a kind's number is
	// part of the wasm ABI (the result header's kind byte), so new kinds are
	// appended, never inserted.
	KindChannels         // a shared WeChat Channels (视频号) post
	KindRoomAnnouncement // a group announcement was published
	KindRoomTodo         // a group to-do was set or changed
	KindCall             // a voice or video call's record
	KindFileUpload       // a file is being sent; the file itself follows as KindFile
	kindCount
)

var kindNames = [...]string{
	KindUnknown:       "unknown",
	KindText:          "text",
	KindImage:         "image",
	KindVoice:         "voice",
	KindVideo:         "video",
	KindEmoji:         "emoji",
	KindLocation:      "location",
	KindLink:          "link",
	KindFile:          "file",
	KindMiniProgram:   "mini_program",
	KindContactCard:   "contact_card",
	KindChatHistory:   "chat_history",
	KindTransfer:      "transfer",
	KindRedPacket:     "red_packet",
	KindQuote:         "quote",
	KindPat:           "pat",
	KindRecall:        "recall",
	KindSystem:        "system",
	KindFriendRequest: "friend_request",
	KindFriendDeleted: "friend_deleted",
	KindContactUpdate: "contact_update",
	KindRoomJoin:      "room_join",
	KindRoomLeave:     "room_leave",
	KindRoomTopic:     "room_topic",
	KindRoomInfo:      "room_info",
	KindRoomEnter:     "room_enter",
	KindLogin:         "login",
	KindLogout:        "logout",
	KindOffline:       "offline",

	KindChannels:         "channels",
	KindRoomAnnouncement: "room_announcement",
	KindRoomTodo:         "room_todo",
	KindCall:             "call",
	KindFileUpload:       "file_upload",
}

// String returns the canonical kind name.
func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind maps a canonical kind name back to its Kind.
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if n == s {
			return Kind(k), true
		}
	}
	return KindUnknown, false
}

// Chat says whether a message was exchanged in a private or a group chat.
// Account-level events (login, logout, friend requests…) have ChatNone.
type Chat uint8

const (
	ChatNone Chat = iota
	ChatPrivate
	ChatGroup
)

// String returns "private", "group" or "".
func (c Chat) String() string {
	switch c {
	case ChatPrivate:
		return "private"
	case ChatGroup:
		return "group"
	}
	return ""
}
