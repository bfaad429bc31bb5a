package decoder

import (
	"github.com/mailru/easyjson"
	"github.com/mailru/easyjson/jlexer"
)

// Event is the canonical form of one vendor callback. Its JSON field names are
// the wxhook schema (docs/SCHEMA.md). The fixed fields are always present; the
// kind-specific objects appear only when the kind fills them.
//
// An Event filled by a Decoder aliases the decoded input and the Decoder's
// scratch memory until the next call on that Decoder; use Clone to keep it.
type Event struct {
	Vendor   Dialect  `json:"vendor"`
	Kind     Kind     `json:"kind"`
	Chat     Chat     `json:"chat"`
	ID       string   `json:"id"`
	DedupKey string   `json:"dedup_key"`
	Time     int64    `json:"time"` // unix milliseconds; 0 when the vendor sent none
	Account  string   `json:"account"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Room     string   `json:"room"`
	Self     bool     `json:"self"`
	Text     string   `json:"text"`
	Mentions []string `json:"mentions"`
	FromName string   `json:"from_name,omitempty"`

	Media       Media         `json:"media,omitempty"`
	Location    Location      `json:"location,omitempty"`
	Link        Link          `json:"link,omitempty"`
	MiniProgram MiniProgram   `json:"mini_program,omitempty"`
	Card        Card          `json:"card,omitempty"`
	Quote       Quote         `json:"quote,omitempty"`
	Transfer    Transfer      `json:"transfer,omitempty"`
	RedPacket   RedPacket     `json:"red_packet,omitempty"`
	History     ChatHistory   `json:"chat_history,omitempty"`
	Pat         Pat           `json:"pat,omitempty"`
	Recall      Recall        `json:"recall,omitempty"`
	Friend      FriendRequest `json:"friend_request,omitempty"`
	RoomChange  RoomChange    `json:"room_change,omitempty"`
	RoomInfo    RoomInfo      `json:"room_info,omitempty"`

	Wecom WecomFields `json:"wecom,omitempty"`
	Eyun  EyunFields  `json:"eyun,omitempty"`
	DLL   DLLFields   `json:"dll,omitempty"`
	Gewe  GeweFields  `json:"gewe,omitempty"`

	// Content is the vendor's content string when it was not fully
	// understood (an appmsg type or sysmsg wxhook does not model yet).
	Content string `json:"content,omitempty"`
	// Problem says why an event is KindUnknown or only partly decoded.
	Problem Problem `json:"problem,omitempty"`
	// Raw is the whole callback, kept for KindUnknown so nothing is lost.
	Raw easyjson.RawMessage `json:"raw,omitempty"`
}

// Media describes an image, voice, video, emoji or file attachment.
type Media struct {
	URL       string `json:"url,omitempty"`
	HDURL     string `json:"hd_url,omitempty"`
	FileID    string `json:"file_id,omitempty"`
	AESKey    string `json:"aes_key,omitempty"`
	AuthKey   string `json:"auth_key,omitempty"`
	MD5       string `json:"md5,omitempty"`
	NewMD5    string `json:"new_md5,omitempty"`
	FileName  string `json:"file_name,omitempty"`
	FileExt   string `json:"file_ext,omitempty"`
	Size      int64  `json:"size,omitempty"`
	HDSize    int64  `json:"hd_size,omitempty"`
	Width     int64  `json:"width,omitempty"`
	Height    int64  `json:"height,omitempty"`
	Duration  int64  `json:"duration,omitempty"` // milliseconds
	Format    string `json:"format,omitempty"`
	CDNType   int64  `json:"cdn_type,omitempty"`
	Encrypt   int64  `json:"encrypt,omitempty"`
	BufID     string `json:"buf_id,omitempty"`
	ProductID string `json:"product_id,omitempty"`
	Thumb     Thumb  `json:"thumb,omitempty"`
}

// IsDefined reports whether any field is set (easyjson omitempty). The
// IsDefined methods name their fields one by one; TestIsDefinedCoversEveryField
// keeps them complete.
func (m *Media) IsDefined() bool {
	return len(m.URL) != 0 ||
		len(m.HDURL) != 0 ||
		len(m.FileID) != 0 ||
		len(m.AESKey) != 0 ||
		len(m.AuthKey) != 0 ||
		len(m.MD5) != 0 ||
		len(m.NewMD5) != 0 ||
		len(m.FileName) != 0 ||
		len(m.FileExt) != 0 ||
		m.Size != 0 ||
		m.HDSize != 0 ||
		m.Width != 0 ||
		m.Height != 0 ||
		m.Duration != 0 ||
		len(m.Format) != 0 ||
		m.CDNType != 0 ||
		m.Encrypt != 0 ||
		len(m.BufID) != 0 ||
		len(m.ProductID) != 0 ||
		m.Thumb.IsDefined()
}

// Thumb is a preview image of a media, link or mini program.
type Thumb struct {
	URL    string `json:"url,omitempty"`
	FileID string `json:"file_id,omitempty"`
	AESKey string `json:"aes_key,omitempty"`
	MD5    string `json:"md5,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Width  int64  `json:"width,omitempty"`
	Height int64  `json:"height,omitempty"`
	Data   string `json:"data,omitempty"` // inline base64 thumbnail (eyun "img")
	// CDNType is the CDN a thumbnail is fetched from (dll 20009 cdnType).
	CDNType int64 `json:"cdn_type,omitempty"`
}

// IsDefined reports whether any field is set.
func (t *Thumb) IsDefined() bool {
	return len(t.URL) != 0 ||
		len(t.FileID) != 0 ||
		len(t.AESKey) != 0 ||
		len(t.MD5) != 0 ||
		t.Size != 0 ||
		t.Width != 0 ||
		t.Height != 0 ||
		len(t.Data) != 0 ||
		t.CDNType != 0
}

// Location is a shared map position.
type Location struct {
	Lat     float64 `json:"lat"`
	Lng     float64 `json:"lng"`
	Zoom    float64 `json:"zoom"`
	Label   string  `json:"label,omitempty"`
	POI     string  `json:"poi,omitempty"`
	POIID   string  `json:"poi_id,omitempty"`
	MapType string  `json:"map_type,omitempty"`
}

// IsDefined reports whether any field is set.
func (l *Location) IsDefined() bool {
	return l.Lat != 0 ||
		l.Lng != 0 ||
		l.Zoom != 0 ||
		len(l.Label) != 0 ||
		len(l.POI) != 0 ||
		len(l.POIID) != 0 ||
		len(l.MapType) != 0
}

// Link is a shared web page (appmsg type 5, wecom Url).
type Link struct {
	Title    string `json:"title,omitempty"`
	Desc     string `json:"desc,omitempty"`
	URL      string `json:"url,omitempty"`
	ThumbURL string `json:"thumb_url,omitempty"`
	Source   string `json:"source,omitempty"`
	AppID    string `json:"app_id,omitempty"`
}

// IsDefined reports whether any field is set.
func (l *Link) IsDefined() bool {
	return len(l.Title) != 0 ||
		len(l.Desc) != 0 ||
		len(l.URL) != 0 ||
		len(l.ThumbURL) != 0 ||
		len(l.Source) != 0 ||
		len(l.AppID) != 0
}

// MiniProgram is a shared WeChat mini program (appmsg 33/36, wecom MiniProgram).
type MiniProgram struct {
	Title       string `json:"title,omitempty"`
	AppID       string `json:"app_id,omitempty"`
	UserName    string `json:"user_name,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	IconURL     string `json:"icon_url,omitempty"`
	PagePath    string `json:"page_path,omitempty"`
	URL         string `json:"url,omitempty"`
	Version     int64  `json:"version,omitempty"`
	Type        int64  `json:"type,omitempty"`
	TodoFlag    int64  `json:"todo_flag,omitempty"`
	Thumb       Thumb  `json:"thumb,omitempty"`
}

// IsDefined reports whether any field is set.
func (m *MiniProgram) IsDefined() bool {
	return len(m.Title) != 0 ||
		len(m.AppID) != 0 ||
		len(m.UserName) != 0 ||
		len(m.DisplayName) != 0 ||
		len(m.IconURL) != 0 ||
		len(m.PagePath) != 0 ||
		len(m.URL) != 0 ||
		m.Version != 0 ||
		m.Type != 0 ||
		m.TodoFlag != 0 ||
		m.Thumb.IsDefined()
}

// Card is a shared contact (name card).
type Card struct {
	UserID   string `json:"user_id,omitempty"`
	Nickname string `json:"nickname,omitempty"`
	Alias    string `json:"alias,omitempty"`
	Avatar   string `json:"avatar,omitempty"`
	Sex      int64  `json:"sex,omitempty"`
	Province string `json:"province,omitempty"`
	City     string `json:"city,omitempty"`
	Sign     string `json:"sign,omitempty"`
	Ticket   string `json:"ticket,omitempty"`
	// CorpID and CorpName name the card's organisation (dll 20008 corpId,
	// corpName: "微信" for a WeChat user, a company for a WeCom user).
	CorpID   int64  `json:"corp_id,omitempty"`
	CorpName string `json:"corp_name,omitempty"`
}

// IsDefined reports whether any field is set.
func (c *Card) IsDefined() bool {
	return len(c.UserID) != 0 ||
		len(c.Nickname) != 0 ||
		len(c.Alias) != 0 ||
		len(c.Avatar) != 0 ||
		c.Sex != 0 ||
		len(c.Province) != 0 ||
		len(c.City) != 0 ||
		len(c.Sign) != 0 ||
		len(c.Ticket) != 0 ||
		c.CorpID != 0 ||
		len(c.CorpName) != 0
}

// Quote is the message a reply quotes (appmsg type 57). The reply's own text
// is Event.Text.
type Quote struct {
	ID          string `json:"id,omitempty"` // svrid, > 2^53: kept as digits
	Type        int64  `json:"type,omitempty"`
	From        string `json:"from,omitempty"`
	Chat        string `json:"chat,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Text        string `json:"text,omitempty"`
	Time        int64  `json:"time,omitempty"` // unix milliseconds
	Content     string `json:"content,omitempty"`
}

// IsDefined reports whether any field is set.
func (q *Quote) IsDefined() bool {
	return len(q.ID) != 0 ||
		q.Type != 0 ||
		len(q.From) != 0 ||
		len(q.Chat) != 0 ||
		len(q.DisplayName) != 0 ||
		len(q.Text) != 0 ||
		q.Time != 0 ||
		len(q.Content) != 0
}

// Transfer is a WeChat Pay transfer (appmsg type 2000).
type Transfer struct {
	Amount        string `json:"amount,omitempty"`
	Memo          string `json:"memo,omitempty"`
	TransferID    string `json:"transfer_id,omitempty"`
	TransactionID string `json:"transaction_id,omitempty"`
	PaySubtype    int64  `json:"pay_subtype,omitempty"`
	BeginTime     int64  `json:"begin_time,omitempty"`   // unix milliseconds
	InvalidTime   int64  `json:"invalid_time,omitempty"` // unix milliseconds
	Payer         string `json:"payer,omitempty"`
	Receiver      string `json:"receiver,omitempty"`
}

// IsDefined reports whether any field is set.
func (t *Transfer) IsDefined() bool {
	return len(t.Amount) != 0 ||
		len(t.Memo) != 0 ||
		len(t.TransferID) != 0 ||
		len(t.TransactionID) != 0 ||
		t.PaySubtype != 0 ||
		t.BeginTime != 0 ||
		t.InvalidTime != 0 ||
		len(t.Payer) != 0 ||
		len(t.Receiver) != 0
}

// RedPacket is a red packet (appmsg type 2001).
type RedPacket struct {
	Title       string `json:"title,omitempty"`
	Wishing     string `json:"wishing,omitempty"`
	SenderTitle string `json:"sender_title,omitempty"`
	NativeURL   string `json:"native_url,omitempty"`
	SceneID     string `json:"scene_id,omitempty"`
	IconURL     string `json:"icon_url,omitempty"`
}

// IsDefined reports whether any field is set.
func (r *RedPacket) IsDefined() bool {
	return len(r.Title) != 0 ||
		len(r.Wishing) != 0 ||
		len(r.SenderTitle) != 0 ||
		len(r.NativeURL) != 0 ||
		len(r.SceneID) != 0 ||
		len(r.IconURL) != 0
}

// ChatHistory is a forwarded bundle of messages (appmsg type 19).
type ChatHistory struct {
	Title string        `json:"title,omitempty"`
	Desc  string        `json:"desc,omitempty"`
	Items []HistoryItem `json:"items,omitempty"`
}

// IsDefined reports whether any field is set.
func (h *ChatHistory) IsDefined() bool { return h.Title != "" || h.Desc != "" || len(h.Items) > 0 }

// HistoryItem is one message inside a ChatHistory.
type HistoryItem struct {
	Type int64  `json:"type"`
	Name string `json:"name,omitempty"`
	Time string `json:"time,omitempty"` // as the vendor wrote it
	Text string `json:"text,omitempty"`
}

// Pat is a "pat" (拍一拍) system message.
type Pat struct {
	From     string `json:"from,omitempty"`
	Patted   string `json:"patted,omitempty"`
	Chat     string `json:"chat,omitempty"`
	Template string `json:"template,omitempty"`
}

// IsDefined reports whether any field is set.
func (p *Pat) IsDefined() bool {
	return len(p.From) != 0 ||
		len(p.Patted) != 0 ||
		len(p.Chat) != 0 ||
		len(p.Template) != 0
}

// Recall says which message was withdrawn.
type Recall struct {
	ID      string `json:"id,omitempty"` // the recalled message's new id
	MsgID   string `json:"msg_id,omitempty"`
	Session string `json:"session,omitempty"`
	Text    string `json:"text,omitempty"`
}

// IsDefined reports whether any field is set.
func (r *Recall) IsDefined() bool {
	return len(r.ID) != 0 ||
		len(r.MsgID) != 0 ||
		len(r.Session) != 0 ||
		len(r.Text) != 0
}

// FriendRequest is an incoming friend request.
type FriendRequest struct {
	UserID   string `json:"user_id,omitempty"`
	Nickname string `json:"nickname,omitempty"`
	Message  string `json:"message,omitempty"`
	V3       string `json:"v3,omitempty"`
	V4       string `json:"v4,omitempty"`
	Scene    int64  `json:"scene,omitempty"`
	Avatar   string `json:"avatar,omitempty"`
	Alias    string `json:"alias,omitempty"`
	Sex      int64  `json:"sex,omitempty"`
	Sign     string `json:"sign,omitempty"`
	Province string `json:"province,omitempty"`
	City     string `json:"city,omitempty"`
}

// IsDefined reports whether any field is set.
func (f *FriendRequest) IsDefined() bool {
	return len(f.UserID) != 0 ||
		len(f.Nickname) != 0 ||
		len(f.Message) != 0 ||
		len(f.V3) != 0 ||
		len(f.V4) != 0 ||
		f.Scene != 0 ||
		len(f.Avatar) != 0 ||
		len(f.Alias) != 0 ||
		f.Sex != 0 ||
		len(f.Sign) != 0 ||
		len(f.Province) != 0 ||
		len(f.City) != 0
}

// RoomChange is who did what to a group's members or name.
type RoomChange struct {
	Actor     string   `json:"actor,omitempty"`
	ActorName string   `json:"actor_name,omitempty"`
	Members   []Member `json:"members,omitempty"`
	Topic     string   `json:"topic,omitempty"`
	Template  string   `json:"template,omitempty"`
}

// IsDefined reports whether any field is set.
func (r *RoomChange) IsDefined() bool {
	return r.Actor != "" || r.ActorName != "" || len(r.Members) > 0 || r.Topic != "" || r.Template != ""
}

// Member is a group member named by a room event.
type Member struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// RoomInfo is a group's metadata (eyun messageType 16).
type RoomInfo struct {
	ID              string `json:"id,omitempty"`
	Name            string `json:"name,omitempty"` // the group's name (gewe ModContacts NickName)
	Owner           string `json:"owner,omitempty"`
	Description     string `json:"description,omitempty"`
	Avatar          string `json:"avatar,omitempty"`
	Notify          int64  `json:"notify,omitempty"`
	Status          int64  `json:"status,omitempty"`
	BitMask         int64  `json:"bit_mask,omitempty"`
	AddContactScene int64  `json:"add_contact_scene,omitempty"`
}

// IsDefined reports whether any field is set.
func (r *RoomInfo) IsDefined() bool {
	return len(r.ID) != 0 ||
		len(r.Name) != 0 ||
		len(r.Owner) != 0 ||
		len(r.Description) != 0 ||
		len(r.Avatar) != 0 ||
		r.Notify != 0 ||
		r.Status != 0 ||
		r.BitMask != 0 ||
		r.AddContactScene != 0
}

// WecomFields carries the wecom envelope fields with no canonical home.
type WecomFields struct {
	Seq       string `json:"seq,omitempty"`
	Token     string `json:"token,omitempty"`
	RemoteID  string `json:"remote_id,omitempty"`
	Type      string `json:"type,omitempty"`
	EventType string `json:"event_type,omitempty"`
	Extension string `json:"extension,omitempty"`
}

// IsDefined reports whether any field is set.
func (w *WecomFields) IsDefined() bool {
	return len(w.Seq) != 0 ||
		len(w.Token) != 0 ||
		len(w.RemoteID) != 0 ||
		len(w.Type) != 0 ||
		len(w.EventType) != 0 ||
		len(w.Extension) != 0
}

// EyunFields carries the eyun envelope fields with no canonical home.
type EyunFields struct {
	WcID        string `json:"wc_id,omitempty"`
	Account     string `json:"account,omitempty"` // the vendor's login account (a phone number)
	WID         string `json:"w_id,omitempty"`
	MsgID       string `json:"msg_id,omitempty"`
	MessageType int64  `json:"message_type"`
	MsgType     int64  `json:"msg_type,omitempty"`
	AppMsgType  int64  `json:"appmsg_type,omitempty"`
	MsgSource   string `json:"msg_source,omitempty"`
	Length      int64  `json:"length,omitempty"`
	VoiceLength int64  `json:"voice_length,omitempty"`
}

// IsDefined reports whether any field is set.
func (e *EyunFields) IsDefined() bool {
	return len(e.WcID) != 0 ||
		len(e.Account) != 0 ||
		len(e.WID) != 0 ||
		len(e.MsgID) != 0 ||
		e.MessageType != 0 ||
		e.MsgType != 0 ||
		e.AppMsgType != 0 ||
		len(e.MsgSource) != 0 ||
		e.Length != 0 ||
		e.VoiceLength != 0
}

// DLLFields carries the dll envelope fields with no canonical home.
type DLLFields struct {
	Event          string `json:"event,omitempty"`
	Description    string `json:"description,omitempty"`
	InstanceID     string `json:"instance_id,omitempty"`
	RobotID        string `json:"robot_id,omitempty"`
	SendTime       int64  `json:"send_time,omitempty"`
	LocalID        string `json:"local_id,omitempty"`
	ServerID       string `json:"server_id,omitempty"`
	AppInfo        string `json:"app_info,omitempty"`
	MessageType    int64  `json:"message_type,omitempty"`
	MessageSource  int64  `json:"message_source"`
	ConversationID string `json:"conversation_id,omitempty"`
	IsPC           int64  `json:"is_pc"`
	// Per-event fields with no canonical home: 20002 quoteAppInfo (the
	// quoted message's appInfo), 20006 type and sourceType, 20008 source,
	// 10001 device, phone and country, 10002 fromType.
	QuoteAppInfo string `json:"quote_app_info,omitempty"`
	Type         int64  `json:"type,omitempty"`
	SourceType   int64  `json:"source_type,omitempty"`
	Source       string `json:"source,omitempty"`
	Device       string `json:"device,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Country      string `json:"country,omitempty"`
	FromType     string `json:"from_type,omitempty"`
}

// IsDefined reports whether any field is set.
func (d *DLLFields) IsDefined() bool {
	return len(d.Event) != 0 ||
		len(d.Description) != 0 ||
		len(d.InstanceID) != 0 ||
		len(d.RobotID) != 0 ||
		d.SendTime != 0 ||
		len(d.LocalID) != 0 ||
		len(d.ServerID) != 0 ||
		len(d.AppInfo) != 0 ||
		d.MessageType != 0 ||
		d.MessageSource != 0 ||
		len(d.ConversationID) != 0 ||
		d.IsPC != 0 ||
		len(d.QuoteAppInfo) != 0 ||
		d.Type != 0 ||
		d.SourceType != 0 ||
		len(d.Source) != 0 ||
		len(d.Device) != 0 ||
		len(d.Phone) != 0 ||
		len(d.Country) != 0 ||
		len(d.FromType) != 0
}

// GeweFields carries the gewe envelope and Data fields with no canonical
// home.
type GeweFields struct {
	TypeName    string `json:"type_name,omitempty"`
	Appid       string `json:"appid,omitempty"` // GeWe's device id; scopes the dedup key
	MsgID       string `json:"msg_id,omitempty"`
	MsgType     int64  `json:"msg_type,omitempty"`
	AppMsgType  int64  `json:"appmsg_type,omitempty"`
	MsgSeq      int64  `json:"msg_seq,omitempty"`
	MsgSource   string `json:"msg_source,omitempty"`
	PushContent string `json:"push_content,omitempty"`
	DeleteScene int64  `json:"delete_scene,omitempty"` // DelContacts DeleteContactScen
	TestMsg     string `json:"test_msg,omitempty"`     // the callback test's testMsg
}

// IsDefined reports whether any field is set.
func (g *GeweFields) IsDefined() bool {
	return len(g.TypeName) != 0 ||
		len(g.Appid) != 0 ||
		len(g.MsgID) != 0 ||
		g.MsgType != 0 ||
		g.AppMsgType != 0 ||
		g.MsgSeq != 0 ||
		len(g.MsgSource) != 0 ||
		len(g.PushContent) != 0 ||
		g.DeleteScene != 0 ||
		len(g.TestMsg) != 0
}

// Problem explains, inside an Event, what could not be understood.
type Problem struct {
	Code   Code   `json:"code,omitempty"`
	Field  string `json:"field,omitempty"`
	Offset int    `json:"offset,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// IsDefined reports whether any field is set.
func (p *Problem) IsDefined() bool {
	return len(p.Code) != 0 ||
		len(p.Field) != 0 ||
		p.Offset != 0 ||
		len(p.Detail) != 0
}

// Reset clears ev for reuse, keeping the capacity of its slices so that a
// reused Event does not allocate in steady state.
func (ev *Event) Reset() {
	mentions := ev.Mentions[:0]
	items := ev.History.Items[:0]
	members := ev.RoomChange.Members[:0]
	*ev = Event{}
	ev.Mentions = mentions
	ev.History.Items = items
	ev.RoomChange.Members = members
}

// Clone returns a copy of ev that shares no memory with the input or the
// Decoder that filled it. It round-trips ev through its canonical JSON, which
// is by construction complete: the JSON is the model. (An Event built by hand
// whose Raw is not valid JSON is cloned up to Raw.)
func (ev *Event) Clone() *Event {
	out := new(Event)
	l := jlexer.Lexer{Data: ev.AppendJSON(nil)}
	out.UnmarshalEasyJSON(&l)
	return out
}
