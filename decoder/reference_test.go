package decoder

// This file holds the reference decoder: the parser a team would write by
// hand with the standard library, used as the baseline of the benchmarks
// (bench_test.go) and as an independent second implementation the Decoder is
// cross-checked against. It is deliberately plain: the top-level keys are
// read into a map to detect the dialect, the body is decoded again into
// plain structs with encoding/json, wecom's JSON-in-a-string is a third
// json.Unmarshal, eyun's XML content goes through encoding/xml, and the
// canonical JSON is written by encoding/json. It is not tuned, and not
// handicapped either: no reflection tricks, no needless copies.
//
// Every identifier here starts with "ref" so that it never collides with the
// package's own names.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// refStr is a field vendors send as a JSON string or as a number (ids,
// timestamps, sizes). Numbers keep their digits: no float64 on the way.
type refStr string

func (s *refStr) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = refStr(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*s = refStr(n)
	return nil
}

func (s refStr) int() int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64)
	return n
}

func (s refStr) float() float64 {
	f, _ := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
	return f
}

// ---- wecom ----

type refWecomBody struct {
	Seq     refStr           `json:"seq"`
	Token   string           `json:"token"`
	Message *refWecomMessage `json:"message"`
	Event   *refWecomEvent   `json:"event"`
}

type refWecomMessage struct {
	ID        refStr `json:"id"`
	RemoteID  refStr `json:"remote_id"`
	Text      string `json:"text"`
	Timestamp refStr `json:"timestamp"`
	Type      string `json:"type"`
	FromID    string `json:"from_id"`
	ToID      string `json:"to_id"`
	RoomID    string `json:"room_id"`
}

type refWecomEvent struct {
	EventType string `json:"event_type"`
	Payload   struct {
		ChangerID     string   `json:"changer_id"`
		NewTopic      string   `json:"new_topic"`
		RoomID        string   `json:"room_id"`
		Timestamp     refStr   `json:"timestamp"`
		Extension     string   `json:"extension"`
		InviteeIDList []string `json:"invitee_id_list"`
		InviterID     string   `json:"inviter_id"`
		RemoveeIDList []string `json:"removee_id_list"`
		RemoverID     string   `json:"remover_id"`
		Data          string   `json:"data"`
	} `json:"payload"`
}

type refWecomImage struct {
	FileID    string `json:"file_id"`
	CDNLDSize refStr `json:"wechat_cdn_ld_size"`
	FileName  string `json:"file_name"`
	Size      refStr `json:"size"`
	Width     refStr `json:"width"`
	Height    refStr `json:"height"`
	AESKey    string `json:"aes_key"`
	MD5       string `json:"md5"`
}

type refWecomVideo struct {
	VideoFileID      string `json:"video_file_id"`
	VideoSize        refStr `json:"video_size"`
	VideoPlayTime    refStr `json:"video_play_time"`
	VideoAESKey      string `json:"video_aes_key"`
	VideoMD5         string `json:"video_md5"`
	Width            refStr `json:"width"`
	Height           refStr `json:"height"`
	PrefaceImageURL  string `json:"preface_image_url"`
	URL              string `json:"url"`
	PrefaceImageSize refStr `json:"preface_image_size"`
	WechatAuthKey    string `json:"wechat_auth_key"`
}

type refWecomLocation struct {
	Zoom      refStr `json:"zoom"`
	Address   string `json:"address"`
	Latitude  refStr `json:"latitude"`
	Longitude refStr `json:"longitude"`
	Title     string `json:"title"`
}

type refWecomMini struct {
	Parameter struct {
		Title        string `json:"title"`
		ID           string `json:"id"`
		UserName     string `json:"user_name"`
		DisplayName  string `json:"display_name"`
		IconURL      string `json:"icon_url"`
		PagePath     string `json:"page_path"`
		RoomTodoFlag refStr `json:"room_todo_flag"`
	} `json:"parameter"`
	Preface struct {
		FileID         string `json:"file_id"`
		RawThumbMD5    string `json:"raw_thumb_md5"`
		ThumbTotalSize refStr `json:"thumb_total_size"`
		AESKey         string `json:"aes_key"`
	} `json:"preface"`
}

type refWecomURL struct {
	Title    string `json:"title"`
	Desc     string `json:"desc"`
	URL      string `json:"url"`
	ThumbURL string `json:"thumb_url"`
}

func refWecom(src []byte, ev *Event) error {
	var body refWecomBody
	if err := json.Unmarshal(src, &body); err != nil {
		return refFieldError(err, Wecom)
	}
	ev.Wecom.Seq = string(body.Seq)
	ev.Wecom.Token = body.Token
	switch {
	case body.Message != nil:
		return refWecomMsg(body.Message, ev)
	case body.Event != nil:
		refWecomEv(body.Event, ev)
		return nil
	}
	return &Error{Code: CodeMissingField, Vendor: Wecom, Field: "message", Offset: -1}
}

func refWecomMsg(m *refWecomMessage, ev *Event) error {
	ev.ID = refRealID(string(m.ID))
	ev.Wecom.RemoteID = string(m.RemoteID)
	ts := m.Timestamp.int()
	ev.Time = refMillis(ts)
	ev.From, ev.To, ev.Room = m.FromID, m.ToID, m.RoomID
	ev.Chat = ChatPrivate
	peer := ev.To
	if ev.Room != "" {
		ev.Chat = ChatGroup
		peer = ev.Room
	}
	ev.Wecom.Type = m.Type
	if ev.ID != "" {
		ev.DedupKey = refDedupKey("wecom", ev.From, peer, ev.ID, strconv.FormatInt(ts, 10))
	} else {
		ev.DedupKey = refHashKey("wecom", ev.From, peer, ev.Wecom.Seq, m.Type, m.Text)
	}

	var err error
	switch m.Type {
	case "Text":
		ev.Kind, ev.Text = KindText, m.Text
	case "Contact":
		ev.Kind, ev.Card.UserID = KindContactCard, m.Text
	case "Image":
		var c refWecomImage
		if err = json.Unmarshal([]byte(m.Text), &c); err == nil {
			ev.Kind = KindImage
			ev.Media = Media{FileID: c.FileID, FileName: c.FileName, Size: c.Size.int(), Width: c.Width.int(),
				Height: c.Height.int(), AESKey: c.AESKey, MD5: c.MD5, Thumb: Thumb{Size: c.CDNLDSize.int()}}
		}
	case "Video":
		var c refWecomVideo
		if err = json.Unmarshal([]byte(m.Text), &c); err == nil {
			ev.Kind = KindVideo
			ev.Media = Media{FileID: c.VideoFileID, Size: c.VideoSize.int(), Duration: c.VideoPlayTime.int() * 1000,
				AESKey: c.VideoAESKey, MD5: c.VideoMD5, Width: c.Width.int(), Height: c.Height.int(), URL: c.URL,
				AuthKey: c.WechatAuthKey, Thumb: Thumb{URL: c.PrefaceImageURL, Size: c.PrefaceImageSize.int()}}
		}
	case "Location":
		var c refWecomLocation
		if err = json.Unmarshal([]byte(m.Text), &c); err == nil {
			ev.Kind = KindLocation
			ev.Location = Location{Lat: c.Latitude.float(), Lng: c.Longitude.float(), Zoom: c.Zoom.float(),
				Label: c.Address, POI: c.Title}
		}
	case "MiniProgram":
		var c refWecomMini
		if err = json.Unmarshal([]byte(m.Text), &c); err == nil {
			p, f := &c.Parameter, &c.Preface
			ev.Kind = KindMiniProgram
			ev.MiniProgram = MiniProgram{Title: p.Title, AppID: p.ID, UserName: p.UserName,
				DisplayName: p.DisplayName, IconURL: p.IconURL, PagePath: p.PagePath, TodoFlag: p.RoomTodoFlag.int(),
				Thumb: Thumb{FileID: f.FileID, MD5: f.RawThumbMD5, Size: f.ThumbTotalSize.int(), AESKey: f.AESKey}}
		}
	case "Url":
		var c refWecomURL
		if err = json.Unmarshal([]byte(m.Text), &c); err == nil {
			ev.Kind = KindLink
			ev.Link = Link{Title: c.Title, Desc: c.Desc, URL: c.URL, ThumbURL: c.ThumbURL}
		}
	default:
		ev.Kind, ev.Content = KindUnknown, m.Text
		ev.Problem = Problem{Field: "message.type", Detail: "wecom message type " + strconv.Quote(m.Type) + " is not modelled"}
	}
	if err != nil {
		ev.Kind, ev.Content = KindUnknown, m.Text
		ev.Problem = Problem{Code: CodeBadContent, Field: "message.text", Detail: err.Error()}
	}
	return nil
}

func refWecomEv(e *refWecomEvent, ev *Event) {
	p := &e.Payload
	ev.Wecom.EventType = e.EventType
	ev.Wecom.Extension = p.Extension
	ev.Room = p.RoomID
	ts := p.Timestamp.int()
	ev.Time = refMillis(ts)
	if ev.Room != "" {
		ev.Chat = ChatGroup
	}
	switch e.EventType {
	case "ROOM_TOPIC":
		ev.Kind = KindRoomTopic
		ev.RoomChange = RoomChange{Actor: p.ChangerID, Topic: p.NewTopic}
	case "ROOM_JOIN":
		ev.Kind = KindRoomJoin
		ev.RoomChange = RoomChange{Actor: p.InviterID, Members: refMembers(p.InviteeIDList)}
	case "ROOM_LEAVE":
		ev.Kind = KindRoomLeave
		ev.RoomChange = RoomChange{Actor: p.RemoverID, Members: refMembers(p.RemoveeIDList)}
	case "LOGOUT":
		ev.Kind = KindLogout
		ev.Text = p.Data
	default:
		ev.Problem = Problem{Field: "event.event_type", Detail: "wecom event type " + strconv.Quote(e.EventType) + " is not modelled"}
	}
	ev.From = ev.RoomChange.Actor
	token := ""
	if ev.Kind == KindLogout {
		token = ev.Wecom.Token
	}
	ev.DedupKey = refHashKey("wecom", e.EventType, ev.Room, strconv.FormatInt(ts, 10), p.Extension, ev.Text, token)
}

func refMembers(ids []string) []Member {
	var out []Member
	for _, id := range ids {
		if id != "" {
			out = append(out, Member{ID: id})
		}
	}
	return out
}

// ---- eyun ----

type refEyunBody struct {
	WcID        string          `json:"wcId"`
	Account     string          `json:"account"`
	MessageType *refStr         `json:"messageType"`
	Data        json.RawMessage `json:"data"`
}

type refEyunData struct {
	Content         string   `json:"content"`
	FromUser        string   `json:"fromUser"`
	FromGroup       string   `json:"fromGroup"`
	ToUser          string   `json:"toUser"`
	MsgID           refStr   `json:"msgId"`
	NewMsgID        refStr   `json:"newMsgId"`
	MsgType         int64    `json:"msgType"`
	Timestamp       refStr   `json:"timestamp"`
	Self            bool     `json:"self"`
	WID             string   `json:"wId"`
	Img             string   `json:"img"`
	Length          int64    `json:"length"`
	VoiceLength     int64    `json:"voiceLength"`
	MsgSource       string   `json:"msgSource"`
	Atlist          []string `json:"atlist"`
	UserName        string   `json:"userName"`
	NickName        string   `json:"nickName"`
	Alias           string   `json:"alias"`
	Sex             int64    `json:"sex"`
	Signature       string   `json:"signature"`
	Province        string   `json:"province"`
	City            string   `json:"city"`
	BigHeadImgURL   string   `json:"bigHeadImgUrl"`
	SmallHeadImgURL string   `json:"smallHeadImgUrl"`
	ChatRoomOwner   string   `json:"chatRoomOwner"`
	ChatRoomNotify  int64    `json:"chatRoomNotify"`
	ChatRoomStatus  int64    `json:"chatRoomStatus"`
	Description     string   `json:"description"`
	BitMask         int64    `json:"bitMask"`
	AddContactScene int64    `json:"addContactScene"`
}

func refEyun(src []byte, ev *Event) error {
	var body refEyunBody
	if err := json.Unmarshal(src, &body); err != nil {
		return refFieldError(err, Eyun)
	}
	if body.MessageType == nil {
		return &Error{Code: CodeMissingField, Vendor: Eyun, Field: "messageType", Offset: -1}
	}
	mtText := string(*body.MessageType)
	mt, err := strconv.ParseInt(mtText, 10, 64)
	if err != nil {
		return &Error{Code: CodeBadField, Vendor: Eyun, Field: "messageType", Offset: -1}
	}
	// The optimized version's test callback, and its messages, which are
	// the raw classes under another number (refEyunOptimized).
	ping := mtText == "00000"
	class, defMsgType := mt, int64(0)
	if o, ok := refEyunOptimized[mt%1000]; ok && (mt/1000 == 60 || mt/1000 == 80) {
		class, defMsgType = o.private, o.msgType
		if mt/1000 == 80 {
			class = o.group
		}
	}
	noData := len(body.Data) == 0 || string(body.Data) == "null"
	if noData && !ping {
		return &Error{Code: CodeMissingField, Vendor: Eyun, Field: "data", Offset: -1}
	}
	var x refEyunData
	if !noData {
		if err := json.Unmarshal(body.Data, &x); err != nil {
			e := refFieldError(err, Eyun)
			e.Field = "data"
			return e
		}
	}
	ev.Account = body.WcID
	ev.Eyun = EyunFields{WcID: body.WcID, Account: body.Account, WID: x.WID, MsgID: string(x.MsgID),
		MessageType: mt, MsgType: x.MsgType, MsgSource: x.MsgSource, Length: x.Length, VoiceLength: x.VoiceLength}
	ev.ID = refRealID(string(x.NewMsgID))
	ev.Time = refMillis(x.Timestamp.int())
	ev.From, ev.To, ev.Room, ev.Self = x.FromUser, x.ToUser, x.FromGroup, x.Self

	switch {
	case ping:
		ev.Chat = ChatNone
	case class == 2 || class == 9 || class == 10 || class == 11 || class == 12 || class == 14 || class == 16:
		ev.Chat = ChatGroup
	case class == 0 || class == 4 || class == 15 || class == 17:
		ev.Chat = ChatNone
	default:
		ev.Chat = ChatPrivate
	}
	if ev.Room != "" && ev.Chat == ChatPrivate {
		ev.Chat = ChatGroup
	}
	if ev.Chat == ChatGroup && ev.Room == "" && strings.HasSuffix(ev.From, "@chatroom") {
		ev.Room = ev.From
	}
	content := x.Content
	if ev.Chat == ChatGroup {
		if sender, rest, ok := refSplitSender(content); ok {
			content = rest
			if ev.From == "" || (ev.From == ev.Room && sender != ev.Room) {
				ev.From = sender
			}
		}
	}
	if ev.ID != "" {
		ev.DedupKey = refDedupKey("eyun", ev.Account, ev.ID, string(x.Timestamp))
	} else {
		ev.DedupKey = refHashKey("eyun", ev.Account, strconv.FormatInt(mt, 10), string(body.Data))
	}

	if ping {
		ev.Kind, ev.Text = KindSystem, content
	} else {
		refEyunKind(ev, class, defMsgType, content, &x)
	}
	if x.Img != "" && (ev.Kind == KindImage || ev.Kind == KindVideo || ev.Kind == KindEmoji) {
		ev.Media.Thumb.Data = x.Img
	}
	if ev.Chat == ChatGroup {
		for _, id := range x.Atlist {
			if id != "" {
				ev.Mentions = append(ev.Mentions, id)
			}
		}
		if len(ev.Mentions) == 0 && x.MsgSource != "" {
			var ms struct {
				AtUserList string `xml:"atuserlist"`
			}
			if xml.Unmarshal([]byte(x.MsgSource), &ms) == nil {
				for _, id := range strings.Split(ms.AtUserList, ",") {
					if id = strings.TrimSpace(id); id != "" {
						ev.Mentions = append(ev.Mentions, id)
					}
				}
			}
		}
	}
	return nil
}

// refEyunOptimized: the last three digits of an optimized messageType (60xxx
// private, 80xxx group) → the raw class of the same message in a private
// chat and in a group, and the msgType the kind implies.
var refEyunOptimized = map[int64]struct{ private, group, msgType int64 }{
	1: {5, 9, 0}, 2: {6, 10, 0}, 3: {7, 11, 0}, 4: {8, 12, 0}, 5: {3, 2, 0},
	6: {13, 14, 47}, 7: {13, 14, 49}, 8: {13, 14, 49}, 9: {13, 14, 49}, 10: {13, 14, 49},
	11: {13, 14, 49}, 14: {13, 14, 49}, 20: {13, 14, 48}, 999: {13, 14, 0},
}

func refEyunKind(ev *Event, mt, defMsgType int64, content string, x *refEyunData) {
	msgType := x.MsgType
	if msgType == 0 {
		msgType = defMsgType
	}
	or := func(def int64) int64 {
		if msgType != 0 {
			return msgType
		}
		return def
	}
	switch mt {
	case 5, 9:
		if msgType == 0 || msgType == 1 {
			ev.Kind, ev.Text = KindText, content
			return
		}
	case 0:
		msgType = or(37)
	case 2, 3:
		msgType = or(42)
	case 6, 10:
		msgType = or(3)
	case 7, 11:
		msgType = or(43)
	case 8, 12:
		msgType = or(34)
	case 13, 14:
	case 4:
		ev.Kind = KindOffline
		return
	case 15, 17:
		ev.Kind = KindContactUpdate
		if mt == 17 {
			ev.Kind = KindFriendDeleted
		}
		ev.Card = Card{UserID: x.UserName, Nickname: x.NickName, Alias: x.Alias, Sex: x.Sex, Sign: x.Signature,
			Province: x.Province, City: x.City, Avatar: x.BigHeadImgURL}
		if ev.Card.Avatar == "" {
			ev.Card.Avatar = x.SmallHeadImgURL
		}
		if ev.From == "" {
			ev.From = x.UserName
		}
		return
	case 16:
		ev.Kind = KindRoomInfo
		ev.RoomInfo = RoomInfo{ID: x.UserName, Owner: x.ChatRoomOwner, Notify: x.ChatRoomNotify,
			Status: x.ChatRoomStatus, Description: x.Description, Avatar: x.SmallHeadImgURL, BitMask: x.BitMask,
			AddContactScene: x.AddContactScene}
		if ev.Room == "" {
			ev.Room = x.UserName
		}
		return
	default:
		ev.Kind, ev.Content = KindUnknown, content
		ev.Problem = Problem{Field: "messageType", Detail: "eyun messageType " + strconv.FormatInt(mt, 10) + " is not modelled"}
		return
	}
	refWeChat(ev, msgType, content)
}

// ---- WeChat XML content (eyun data.content, dll 20008/20009) ----

type refMsgXML struct {
	// A name card is the attributes of <msg> itself.
	UserName      string `xml:"username,attr"`
	NickName      string `xml:"nickname,attr"`
	Alias         string `xml:"alias,attr"`
	BigHeadImgURL string `xml:"bigheadimgurl,attr"`
	Sex           int64  `xml:"sex,attr"`
	Province      string `xml:"province,attr"`
	City          string `xml:"city,attr"`
	Sign          string `xml:"sign,attr"`
	Ticket        string `xml:"antispamticket,attr"`
	// FromUserName is the sender of a friend request.
	FromUserName string `xml:"fromusername,attr"`
	FromNickName string `xml:"fromnickname,attr"`
	Content      string `xml:"content,attr"`
	EncryptUser  string `xml:"encryptusername,attr"`
	Ticket4      string `xml:"ticket,attr"`
	Scene        int64  `xml:"scene,attr"`

	Img *struct {
		AESKey         string `xml:"aeskey,attr"`
		CDNThumbURL    string `xml:"cdnthumburl,attr"`
		CDNMidImgURL   string `xml:"cdnmidimgurl,attr"`
		CDNBigImgURL   string `xml:"cdnbigimgurl,attr"`
		Length         int64  `xml:"length,attr"`
		HDLength       int64  `xml:"hdlength,attr"`
		MD5            string `xml:"md5,attr"`
		CDNThumbLength int64  `xml:"cdnthumblength,attr"`
		CDNThumbWidth  int64  `xml:"cdnthumbwidth,attr"`
		CDNThumbHeight int64  `xml:"cdnthumbheight,attr"`
		CDNThumbAESKey string `xml:"cdnthumbaeskey,attr"`
		EncryVer       int64  `xml:"encryver,attr"`
	} `xml:"img"`
	Voice *struct {
		VoiceLength int64  `xml:"voicelength,attr"`
		Length      int64  `xml:"length,attr"`
		VoiceFormat string `xml:"voiceformat,attr"`
		BufID       string `xml:"bufid,attr"`
	} `xml:"voicemsg"`
	Video *struct {
		AESKey         string `xml:"aeskey,attr"`
		CDNVideoURL    string `xml:"cdnvideourl,attr"`
		CDNThumbURL    string `xml:"cdnthumburl,attr"`
		CDNThumbAESKey string `xml:"cdnthumbaeskey,attr"`
		Length         int64  `xml:"length,attr"`
		PlayLength     int64  `xml:"playlength,attr"`
		CDNThumbLength int64  `xml:"cdnthumblength,attr"`
		CDNThumbWidth  int64  `xml:"cdnthumbwidth,attr"`
		CDNThumbHeight int64  `xml:"cdnthumbheight,attr"`
		MD5            string `xml:"md5,attr"`
		NewMD5         string `xml:"newmd5,attr"`
	} `xml:"videomsg"`
	Emoji *struct {
		MD5       string `xml:"md5,attr"`
		Len       int64  `xml:"len,attr"`
		CDNURL    string `xml:"cdnurl,attr"`
		Width     int64  `xml:"width,attr"`
		Height    int64  `xml:"height,attr"`
		ProductID string `xml:"productid,attr"`
		AESKey    string `xml:"aeskey,attr"`
	} `xml:"emoji"`
	Location *struct {
		X       refXMLFloat `xml:"x,attr"`
		Y       refXMLFloat `xml:"y,attr"`
		Scale   refXMLFloat `xml:"scale,attr"`
		Label   string      `xml:"label,attr"`
		POIName string      `xml:"poiname,attr"`
		POIID   string      `xml:"poiid,attr"`
		MapType string      `xml:"maptype,attr"`
	} `xml:"location"`
	AppMsg *struct {
		AppID      string `xml:"appid,attr"`
		Title      string `xml:"title"`
		Des        string `xml:"des"`
		Type       string `xml:"type"`
		URL        string `xml:"url"`
		ThumbURL   string `xml:"thumburl"`
		SourceUser string `xml:"sourceusername"`
		SourceName string `xml:"sourcedisplayname"`
		AppAttach  struct {
			TotalLen  int64  `xml:"totallen"`
			FileExt   string `xml:"fileext"`
			CDNThumb  string `xml:"cdnthumburl"`
			ThumbMD5  string `xml:"cdnthumbmd5"`
			ThumbSize int64  `xml:"cdnthumblength"`
			ThumbW    int64  `xml:"cdnthumbwidth"`
			ThumbH    int64  `xml:"cdnthumbheight"`
			ThumbKey  string `xml:"cdnthumbaeskey"`
		} `xml:"appattach"`
		MD5       string `xml:"md5"`
		WeAppInfo struct {
			PagePath string `xml:"pagepath"`
			UserName string `xml:"username"`
			AppID    string `xml:"appid"`
			Version  int64  `xml:"version"`
			Type     int64  `xml:"type"`
			IconURL  string `xml:"weappiconurl"`
		} `xml:"weappinfo"`
		WCPayInfo struct {
			PaySubtype    int64  `xml:"paysubtype"`
			FeeDesc       string `xml:"feedesc"`
			TransactionID string `xml:"transcationid"`
			TransferID    string `xml:"transferid"`
			InvalidTime   int64  `xml:"invalidtime"`
			BeginTime     int64  `xml:"begintransfertime"`
			PayMemo       string `xml:"pay_memo"`
			Payer         string `xml:"payer_username"`
			Receiver      string `xml:"receiver_username"`
			SenderTitle   string `xml:"sendertitle"`
			ReceiverTitle string `xml:"receivertitle"`
			NativeURL     string `xml:"nativeurl"`
			SceneID       string `xml:"sceneid"`
			IconURL       string `xml:"iconurl"`
		} `xml:"wcpayinfo"`
		FinderFeed struct {
			ObjectID   string `xml:"objectId"`
			NonceID    string `xml:"objectNonceId"`
			FeedType   int64  `xml:"feedType"`
			UserName   string `xml:"username"`
			Nickname   string `xml:"nickname"`
			Avatar     string `xml:"avatar"`
			Desc       string `xml:"desc"`
			MediaCount int64  `xml:"mediaCount"`
		} `xml:"finderFeed"`
		ReferMsg *struct {
			Type        int64  `xml:"type"`
			SvrID       string `xml:"svrid"`
			FromUsr     string `xml:"fromusr"`
			ChatUsr     string `xml:"chatusr"`
			DisplayName string `xml:"displayname"`
			Content     string `xml:"content"`
			CreateTime  int64  `xml:"createtime"`
		} `xml:"refermsg"`
	} `xml:"appmsg"`
	Op *struct {
		UserName string `xml:"username"`
	} `xml:"op"`
}

// refXMLFloat is a float attribute that may be empty.
type refXMLFloat float64

func (f *refXMLFloat) UnmarshalXMLAttr(a xml.Attr) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(a.Value), 64)
	if err != nil && a.Value != "" {
		return err
	}
	*f = refXMLFloat(v)
	return nil
}

type refSysMsgXML struct {
	Type      string `xml:"type,attr"`
	RevokeMsg struct {
		Session    string `xml:"session"`
		MsgID      string `xml:"msgid"`
		NewMsgID   string `xml:"newmsgid"`
		ReplaceMsg string `xml:"replacemsg"`
	} `xml:"revokemsg"`
	Pat struct {
		FromUser string `xml:"fromusername"`
		ChatUser string `xml:"chatusername"`
		Patted   string `xml:"pattedusername"`
		Template string `xml:"template"`
	} `xml:"pat"`
	Template string `xml:"sysmsgtemplate>content_template>template"`
	Announce struct {
		Content string `xml:"content"`
		ID      string `xml:"announcement_id"`
	} `xml:"mmchatroombarannouncememt"`
	Todo *struct {
		ID           string `xml:"todoid"`
		Op           int64  `xml:"op"`
		Title        string `xml:"title"`
		Creator      string `xml:"creator"`
		Manager      string `xml:"manager"`
		Oper         string `xml:"oper"`
		RelatedMsgID string `xml:"related_msgid"`
		UserName     string `xml:"username"`
		Scene        string `xml:"scene"`
		Template     string `xml:"template"`
		Time         int64  `xml:"time"`
	} `xml:"todo"`
}

// refVoIPXML is a call's record, <voipmsg type="VoIPBubbleMsg">.
type refVoIPXML struct {
	XMLName xml.Name `xml:"voipmsg"`
	Bubble  struct {
		Msg        string `xml:"msg"`
		RoomType   int64  `xml:"room_type"`
		RoomID     string `xml:"roomid"`
		InviteID   string `xml:"inviteid"`
		InviteID64 string `xml:"inviteid64"`
		Duration   int64  `xml:"duration"`
		Timestamp  int64  `xml:"timestamp"`
	} `xml:"VoIPBubbleMsg"`
}

// refWeChat decodes WeChat's XML content for msgType into ev.
func refWeChat(ev *Event, msgType int64, content string) {
	body := strings.TrimSpace(content)
	fail := func(err error) {
		ev.Kind, ev.Content = KindUnknown, content
		ev.Problem = Problem{Code: CodeBadContent, Field: "data.content", Detail: err.Error()}
	}
	switch msgType {
	case 10000:
		ev.Kind, ev.Text = KindSystem, content
		return
	case 10002:
		var s refSysMsgXML
		if err := xml.Unmarshal([]byte(body), &s); err != nil {
			fail(err)
			return
		}
		switch {
		case s.Type == "revokemsg":
			ev.Kind = KindRecall
			ev.Recall = Recall{ID: s.RevokeMsg.NewMsgID, MsgID: s.RevokeMsg.MsgID, Session: s.RevokeMsg.Session,
				Text: s.RevokeMsg.ReplaceMsg}
		case s.Type == "pat":
			ev.Kind = KindPat
			ev.Pat = Pat{From: s.Pat.FromUser, Patted: s.Pat.Patted, Chat: s.Pat.ChatUser, Template: s.Pat.Template}
		case s.Type == "mmchatroombarannouncememt":
			ev.Kind = KindRoomAnnouncement
			ev.Announce = Announcement{ID: s.Announce.ID, Text: s.Announce.Content}
		case s.Type == "roomtoolstips" && s.Todo != nil:
			t := s.Todo
			ev.Kind = KindRoomTodo
			ev.Todo = Todo{ID: t.ID, Op: t.Op, Title: t.Title, Creator: t.Creator, Manager: t.Manager,
				Operator: t.Oper, RelatedMsgID: t.RelatedMsgID, AppUserName: t.UserName, Scene: t.Scene,
				Template: t.Template, Time: refMillis(t.Time)}
		case s.Type != "sysmsgtemplate":
			ev.Kind, ev.Content = KindSystem, content
		case strings.Contains(s.Template, "加入了群聊"), strings.Contains(s.Template, "加入群聊"):
			ev.Kind = KindRoomJoin
			ev.RoomChange.Template = s.Template
		case strings.Contains(s.Template, "移出了群聊"):
			ev.Kind = KindRoomLeave
			ev.RoomChange.Template = s.Template
		case strings.Contains(s.Template, "修改群名为"):
			ev.Kind = KindRoomTopic
			ev.RoomChange.Template = s.Template
		default:
			ev.Kind, ev.Content = KindSystem, content
		}
		return
	}
	if msgType == 50 {
		var v refVoIPXML
		if err := xml.Unmarshal([]byte(body), &v); err != nil {
			fail(err)
			return
		}
		b := &v.Bubble
		ev.Kind = KindCall
		ev.Call = Call{Text: b.Msg, RoomType: b.RoomType, RoomID: b.RoomID, InviteID: b.InviteID64,
			Duration: b.Duration * 1000, Time: refMillis(b.Timestamp)}
		if ev.Call.InviteID == "" {
			ev.Call.InviteID = b.InviteID
		}
		return
	}
	var m refMsgXML
	if err := xml.Unmarshal([]byte(body), &m); err != nil {
		fail(err)
		return
	}
	switch msgType {
	case 3:
		if m.Img == nil {
			break
		}
		i := m.Img
		ev.Kind = KindImage
		ev.Media = Media{AESKey: i.AESKey, URL: i.CDNMidImgURL, HDURL: i.CDNBigImgURL, Size: i.Length,
			HDSize: i.HDLength, MD5: i.MD5, Encrypt: i.EncryVer, Thumb: Thumb{URL: i.CDNThumbURL,
				AESKey: i.CDNThumbAESKey, Size: i.CDNThumbLength, Width: i.CDNThumbWidth, Height: i.CDNThumbHeight}}
		return
	case 34:
		if m.Voice == nil {
			break
		}
		ev.Kind = KindVoice
		ev.Media = Media{Duration: m.Voice.VoiceLength, Size: m.Voice.Length, Format: m.Voice.VoiceFormat,
			BufID: m.Voice.BufID}
		return
	case 43:
		if m.Video == nil {
			break
		}
		v := m.Video
		ev.Kind = KindVideo
		ev.Media = Media{AESKey: v.AESKey, URL: v.CDNVideoURL, Size: v.Length, Duration: v.PlayLength * 1000,
			MD5: v.MD5, NewMD5: v.NewMD5, Thumb: Thumb{URL: v.CDNThumbURL, AESKey: v.CDNThumbAESKey,
				Size: v.CDNThumbLength, Width: v.CDNThumbWidth, Height: v.CDNThumbHeight}}
		return
	case 47:
		if m.Emoji == nil {
			break
		}
		e := m.Emoji
		ev.Kind = KindEmoji
		ev.Media = Media{URL: e.CDNURL, MD5: e.MD5, Size: e.Len, Width: e.Width, Height: e.Height,
			ProductID: e.ProductID, AESKey: e.AESKey}
		return
	case 48:
		if m.Location == nil {
			break
		}
		l := m.Location
		ev.Kind = KindLocation
		ev.Location = Location{Lat: float64(l.X), Lng: float64(l.Y), Zoom: float64(l.Scale), Label: l.Label,
			POI: l.POIName, POIID: l.POIID, MapType: l.MapType}
		return
	case 42:
		ev.Kind = KindContactCard
		ev.Card = Card{UserID: m.UserName, Nickname: m.NickName, Alias: m.Alias, Avatar: m.BigHeadImgURL,
			Sex: m.Sex, Province: m.Province, City: m.City, Sign: m.Sign, Ticket: m.Ticket}
		return
	case 37:
		ev.Kind = KindFriendRequest
		ev.Friend = FriendRequest{UserID: m.FromUserName, Nickname: m.FromNickName, Message: m.Content,
			V3: m.EncryptUser, V4: m.Ticket4, Scene: m.Scene, Alias: m.Alias, Sex: m.Sex, Sign: m.Sign,
			Province: m.Province, City: m.City, Avatar: m.BigHeadImgURL}
		return
	case 51:
		ev.Kind = KindRoomEnter
		if ev.Room == "" && m.Op != nil {
			ev.Room = m.Op.UserName
		}
		return
	case 49:
		if m.AppMsg == nil {
			break
		}
		a := m.AppMsg
		typ, _ := strconv.ParseInt(strings.TrimSpace(a.Type), 10, 64)
		ev.Eyun.AppMsgType = typ
		switch typ {
		case 5:
			ev.Kind = KindLink
			ev.Link = Link{Title: a.Title, Desc: a.Des, URL: a.URL, ThumbURL: a.ThumbURL, Source: a.SourceName, AppID: a.AppID}
			return
		case 6:
			ev.Kind = KindFile
			ev.Media = Media{FileName: a.Title, FileExt: a.AppAttach.FileExt, Size: a.AppAttach.TotalLen, MD5: a.MD5}
			return
		case 8:
			ev.Kind = KindEmoji
			ev.Media = Media{FileName: a.Title, MD5: a.MD5, Size: a.AppAttach.TotalLen}
			return
		case 74:
			ev.Kind = KindFileUpload
			ev.Media = Media{FileName: a.Title, FileExt: a.AppAttach.FileExt, Size: a.AppAttach.TotalLen, MD5: a.MD5}
			return
		case 51:
			f := &a.FinderFeed
			ev.Kind = KindChannels
			ev.Channels = Channels{ObjectID: f.ObjectID, NonceID: f.NonceID, FeedType: f.FeedType,
				UserName: f.UserName, Nickname: f.Nickname, Avatar: f.Avatar, Desc: f.Desc, MediaCount: f.MediaCount}
			return
		case 2000:
			p := &a.WCPayInfo
			ev.Kind = KindTransfer
			ev.Transfer = Transfer{Amount: p.FeeDesc, Memo: p.PayMemo, TransferID: p.TransferID,
				TransactionID: p.TransactionID, PaySubtype: p.PaySubtype, BeginTime: refMillis(p.BeginTime),
				InvalidTime: refMillis(p.InvalidTime), Payer: p.Payer, Receiver: p.Receiver}
			return
		case 2001:
			p := &a.WCPayInfo
			ev.Kind = KindRedPacket
			ev.RedPacket = RedPacket{Title: p.ReceiverTitle, Wishing: a.Des, SenderTitle: p.SenderTitle,
				NativeURL: p.NativeURL, SceneID: p.SceneID, IconURL: p.IconURL}
			return
		case 19:
			ev.Kind = KindChatHistory
			ev.History = ChatHistory{Title: a.Title, Desc: a.Des}
			return
		case 33, 36:
			w := &a.WeAppInfo
			ev.Kind = KindMiniProgram
			ev.MiniProgram = MiniProgram{Title: a.Title, AppID: w.AppID, UserName: w.UserName,
				DisplayName: a.SourceName, IconURL: w.IconURL, PagePath: w.PagePath, URL: a.URL,
				Version: w.Version, Type: w.Type, Thumb: Thumb{URL: a.AppAttach.CDNThumb, MD5: a.AppAttach.ThumbMD5,
					Size: a.AppAttach.ThumbSize, Width: a.AppAttach.ThumbW, Height: a.AppAttach.ThumbH,
					AESKey: a.AppAttach.ThumbKey}}
			return
		case 57:
			if r := a.ReferMsg; r != nil {
				ev.Kind, ev.Text = KindQuote, a.Title
				ev.Quote = Quote{ID: r.SvrID, Type: r.Type, From: r.FromUsr, Chat: r.ChatUsr,
					DisplayName: r.DisplayName, Content: r.Content, Time: refMillis(r.CreateTime)}
				return
			}
		}
		ev.Problem = Problem{Detail: "appmsg type " + strconv.FormatInt(typ, 10) + " is not modelled"}
	}
	ev.Kind, ev.Content = KindUnknown, content
}

// ---- dll ----

type refDLLBody struct {
	Event       refStr          `json:"event"`
	Description string          `json:"description"`
	Time        refStr          `json:"time"`
	Data        json.RawMessage `json:"data"`
}

type refDLLCDN struct {
	AESKey         string `json:"aes_key"`
	AuthKey        string `json:"auth_key"`
	FileID         string `json:"file_id"`
	FileName       string `json:"file_name"`
	PreviewImgSize int64  `json:"preview_img_size"`
	PreviewImgURL  string `json:"preview_img_url"`
	Height         int64  `json:"height"`
	Width          int64  `json:"width"`
	MD5            string `json:"md5"`
	Size           int64  `json:"size"`
	URL            string `json:"url"`
	VoiceTime      int64  `json:"voice_time"`
}

type refDLLData struct {
	InstanceID string `json:"instanceId"`
	RobotID    string `json:"robotId"`
	SendTime   refStr `json:"sendTime"`
	LocalID    refStr `json:"localId"`
	ServerID   refStr `json:"serverId"`
	AppInfo    string `json:"appInfo"`
	// MessageType is the vendor's message type code.
	MessageType    int64     `json:"messageType"`
	CDNData        refDLLCDN `json:"cdnData"`
	CDNType        int64     `json:"cdnType"`
	Height         int64     `json:"height"`
	Width          int64     `json:"width"`
	Duration       int64     `json:"duration"`
	MessageSource  int64     `json:"messageSource"`
	ConversationID string    `json:"conversationId"`
	FromWxID       string    `json:"fromWxId"`
	ToWxID         string    `json:"toWxId"`
	FromNickName   string    `json:"fromNickName"`
	IsPC           int64     `json:"isPc"`
	// 20002 / 10002
	Message      string   `json:"message"`
	AtWxIDList   []string `json:"atWxIdList"`
	QuoteAppInfo string   `json:"quoteAppInfo"`
	QuoteMessage string   `json:"quoteMessage"`
	// 20006
	Type       int64  `json:"type"`
	SourceType int64  `json:"sourceType"`
	URL        string `json:"url"`
	// 20008, 10001
	UserID    string `json:"userId"`
	Nickname  string `json:"nickname"`
	AvatarURL string `json:"avatarUrl"`
	CorpID    int64  `json:"corpId"`
	CorpName  string `json:"corpName"`
	Source    string `json:"source"`
	// 20009
	AppID       string `json:"appId"`
	AppName     string `json:"appName"`
	AppIcon     string `json:"appIcon"`
	PagePath    string `json:"pagePath"`
	Title       string `json:"title"`
	Username    string `json:"username"`
	ThumbWidth  int64  `json:"thumbWidth"`
	ThumbHeight int64  `json:"thumbHeight"`
	// 20010 (also url, title, nickname)
	CoverURL      string `json:"coverUrl"`
	Desc          string `json:"desc"`
	Extras        string `json:"extras"`
	FeedType      int64  `json:"feedType"`
	ObjectID      refStr `json:"objectId"`
	ObjectNonceID string `json:"objectNonceId"`
	ThumbURL      string `json:"thumbUrl"`
	// 20012
	C2CCDNData refDLLCDN `json:"c2cCdnData"`
	// 20014
	TextContent string `json:"textContent"`
	// 20015
	MessageServerID refStr `json:"messageServerId"`
	OpUserID        string `json:"opUserId"`
	RoomID          refStr `json:"roomId"`
	// 10001
	WxNum    string `json:"wxNum"`
	Device   string `json:"device"`
	Phone    string `json:"phone"`
	Country  string `json:"country"`
	Province string `json:"province"`
	// 10002
	TimeStamp refStr `json:"timeStamp"`
	MessageID refStr `json:"messageId"`
	FromType  string `json:"fromType"`
}

func refDLL(src []byte, ev *Event) error {
	var body refDLLBody
	if err := json.Unmarshal(src, &body); err != nil {
		return refFieldError(err, DLL)
	}
	code := string(body.Event)
	if code == "" {
		return &Error{Code: CodeMissingField, Vendor: DLL, Field: "event", Offset: -1}
	}
	if len(body.Data) == 0 || string(body.Data) == "null" {
		return &Error{Code: CodeMissingField, Vendor: DLL, Field: "data", Offset: -1}
	}
	var x refDLLData
	if err := json.Unmarshal(body.Data, &x); err != nil {
		e := refFieldError(err, DLL)
		e.Field = "data"
		return e
	}
	ev.DLL = DLLFields{Event: code, Description: body.Description, InstanceID: x.InstanceID, RobotID: x.RobotID,
		SendTime: refMillis(x.SendTime.int()), LocalID: string(x.LocalID), ServerID: string(x.ServerID),
		AppInfo: x.AppInfo, MessageType: x.MessageType, MessageSource: x.MessageSource,
		ConversationID: x.ConversationID, IsPC: x.IsPC}
	ev.Account = x.RobotID
	ev.From, ev.To, ev.FromName = x.FromWxID, x.ToWxID, x.FromNickName
	ev.Self = x.MessageSource == 1
	ev.ID = refRealID(string(x.ServerID))
	if ev.ID == "" {
		ev.ID = refRealID(string(x.LocalID))
	}
	if code == "10002" {
		if ev.ID == "" {
			ev.ID = refRealID(string(x.MessageID))
		}
		if ev.DLL.SendTime == 0 {
			ev.DLL.SendTime = refMillis(x.TimeStamp.int())
		}
		ev.DLL.FromType = x.FromType
	}
	ev.Time = refMillis(body.Time.int())
	if ev.Time == 0 {
		ev.Time = ev.DLL.SendTime
	}
	for _, id := range []string{x.ConversationID, ev.From, ev.To} {
		if strings.HasSuffix(id, "@chatroom") && len(id) > len("@chatroom") {
			ev.Room = id
			break
		}
	}
	ev.Chat = ChatPrivate
	if ev.Room != "" {
		ev.Chat = ChatGroup
	}

	media := func(c *refDLLCDN) {
		ev.Media = Media{URL: c.URL, FileID: c.FileID, AESKey: c.AESKey, AuthKey: c.AuthKey, FileName: c.FileName,
			MD5: c.MD5, Size: c.Size, CDNType: x.CDNType, Duration: x.Duration * 1000, Width: x.Width, Height: x.Height}
		if c.PreviewImgURL != "" || c.PreviewImgSize != 0 {
			ev.Media.Thumb = Thumb{URL: c.PreviewImgURL, Size: c.PreviewImgSize, Width: c.Width, Height: c.Height}
		} else if ev.Media.Width == 0 && ev.Media.Height == 0 {
			ev.Media.Width, ev.Media.Height = c.Width, c.Height
		}
	}
	switch code {
	case "20002", "10002":
		ev.Kind, ev.Text = KindText, x.Message
		if ev.Room != "" && ev.From == ev.Room {
			if sender, rest, ok := refSplitSender(ev.Text); ok {
				ev.From, ev.Text = sender, rest
			}
		}
		ev.Mentions = append(ev.Mentions, x.AtWxIDList...)
		ev.DLL.QuoteAppInfo = x.QuoteAppInfo
		if x.QuoteMessage != "" {
			ev.Kind = KindQuote
			ev.Quote = Quote{Text: x.QuoteMessage}
		}
	case "20004":
		ev.Kind = KindVideo
		media(&x.CDNData)
	case "20005":
		ev.Kind = KindFile
		media(&x.CDNData)
	case "20006":
		ev.Kind = KindEmoji
		media(&x.CDNData)
		if x.URL != "" {
			ev.Media.URL = x.URL
		}
		ev.DLL.Type, ev.DLL.SourceType = x.Type, x.SourceType
	case "20010":
		ev.Kind = KindChannels
		ev.Channels = Channels{ObjectID: string(x.ObjectID), NonceID: x.ObjectNonceID, FeedType: x.FeedType,
			Nickname: x.Nickname, Title: x.Title, Desc: x.Desc, URL: x.URL, ThumbURL: x.ThumbURL, CoverURL: x.CoverURL}
		ev.DLL.Extras = x.Extras
	case "20012":
		ev.Kind = KindVoice
		media(&x.C2CCDNData)
		if ev.Media.Duration == 0 {
			ev.Media.Duration = x.C2CCDNData.VoiceTime * 1000
		}
	case "20008":
		ev.Kind = KindContactCard
		ev.Card = Card{UserID: x.UserID, Nickname: x.Nickname, Avatar: x.AvatarURL, CorpID: x.CorpID, CorpName: x.CorpName}
		ev.DLL.Source = x.Source
	case "20009":
		ev.Kind = KindMiniProgram
		c := &x.CDNData
		ev.MiniProgram = MiniProgram{AppID: x.AppID, UserName: x.Username, DisplayName: x.AppName, IconURL: x.AppIcon,
			PagePath: x.PagePath, Title: x.Title, Thumb: Thumb{URL: c.URL, FileID: c.FileID, AESKey: c.AESKey,
				MD5: c.MD5, Size: c.Size, Width: x.ThumbWidth, Height: x.ThumbHeight, CDNType: x.CDNType}}
	case "20015":
		ev.Kind = KindRecall
		ev.Recall = Recall{ID: refRealID(string(x.MessageServerID))}
		if x.OpUserID != "" {
			ev.From = x.OpUserID
		}
		if room := refRealID(string(x.RoomID)); room != "" {
			ev.Room, ev.Chat, ev.Recall.Session = room, ChatGroup, room
		}
	case "20019":
		ev.Kind, ev.Chat = KindFriendDeleted, ChatNone
		ev.Card = Card{UserID: ev.From, Nickname: ev.FromName}
	case "10001":
		ev.Kind, ev.Chat = KindLogin, ChatNone
		ev.Card = Card{UserID: x.RobotID, Alias: x.WxNum, Nickname: x.Nickname, Avatar: x.AvatarURL, Province: x.Province}
		ev.DLL.Country, ev.DLL.Device, ev.DLL.Phone = x.Country, x.Device, x.Phone
	case "20014":
		ev.Kind, ev.Content = KindUnknown, x.TextContent
		ev.Problem = Problem{Field: "event",
			Detail: "dll event 20014 (text with images: textContent, emotionList, imageList) is not modelled"}
	default:
		ev.Kind = KindUnknown
		ev.Problem = Problem{Field: "event", Detail: "dll event " + strconv.Quote(code) + " is not modelled"}
	}
	if ev.ID != "" {
		ev.DedupKey = refDedupKey("dll", x.RobotID, code, ev.ID)
	} else {
		ev.DedupKey = refHashKey("dll", x.RobotID, code, string(body.Data))
	}
	return nil
}

// ---- gewe ----

// refWx is GeWe's {"string": "…"} wrapper (a plain string is taken as is).
type refWx string

func (w *refWx) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			S *refStr `json:"string"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		if o.S != nil {
			*w = refWx(*o.S)
		}
		return nil
	}
	var s refStr
	err := s.UnmarshalJSON(b)
	*w = refWx(s)
	return err
}

type refGeweBody struct {
	TypeName string          `json:"TypeName"`
	Appid    string          `json:"Appid"`
	Wxid     string          `json:"Wxid"`
	TestMsg  *string         `json:"testMsg"`
	Token    string          `json:"token"`
	Data     json.RawMessage `json:"Data"`
}

type refGeweData struct {
	MsgID        refStr `json:"MsgId"`
	NewMsgID     refStr `json:"NewMsgId"`
	FromUserName refWx  `json:"FromUserName"`
	ToUserName   refWx  `json:"ToUserName"`
	MsgType      int64  `json:"MsgType"`
	Content      refWx  `json:"Content"`
	ImgBuf       struct {
		Buffer string `json:"buffer"`
	} `json:"ImgBuf"`
	CreateTime        int64  `json:"CreateTime"`
	MsgSource         string `json:"MsgSource"`
	PushContent       string `json:"PushContent"`
	MsgSeq            int64  `json:"MsgSeq"`
	UserName          refWx  `json:"UserName"`
	NickName          refWx  `json:"NickName"`
	Alias             string `json:"Alias"`
	Sex               int64  `json:"Sex"`
	Province          string `json:"Province"`
	City              string `json:"City"`
	Signature         string `json:"Signature"`
	BigHeadImgURL     string `json:"BigHeadImgUrl"`
	SmallHeadImgURL   string `json:"SmallHeadImgUrl"`
	BitMask           int64  `json:"BitMask"`
	ChatRoomNotify    int64  `json:"ChatRoomNotify"`
	AddContactScene   int64  `json:"AddContactScene"`
	ChatRoomOwner     string `json:"ChatRoomOwner"`
	ChatroomStatus    int64  `json:"ChatroomStatus"`
	DeleteContactScen int64  `json:"DeleteContactScen"`
}

func refGewe(src []byte, ev *Event) error {
	var body refGeweBody
	if err := json.Unmarshal(src, &body); err != nil {
		return refFieldError(err, Gewe)
	}
	var x refGeweData
	hasData := len(body.Data) > 0 && string(body.Data) != "null"
	if hasData {
		if err := json.Unmarshal(body.Data, &x); err != nil {
			e := refFieldError(err, Gewe)
			e.Field = "Data"
			return e
		}
	}
	ev.Account = body.Wxid
	ev.Gewe = GeweFields{TypeName: body.TypeName, Appid: body.Appid}
	raw := ""
	if hasData {
		raw = string(body.Data)
	}
	isRoom := func(s string) bool { return len(s) > len("@chatroom") && strings.HasSuffix(s, "@chatroom") }
	switch body.TypeName {
	case "":
		if body.TestMsg == nil {
			return &Error{Code: CodeMissingField, Vendor: Gewe, Field: "TypeName", Offset: -1}
		}
		ev.Kind, ev.Text = KindSystem, *body.TestMsg
		ev.Gewe.TestMsg = ev.Text
		ev.DedupKey = refHashKey("gewe", "testMsg", ev.Text, body.Token)
	case "AddMsg":
		if !hasData {
			return &Error{Code: CodeMissingField, Vendor: Gewe, Field: "Data", Offset: -1}
		}
		ev.ID = refRealID(string(x.NewMsgID))
		ev.Time = refMillis(x.CreateTime)
		ev.From, ev.To = string(x.FromUserName), string(x.ToUserName)
		ev.Self = ev.From != "" && ev.From == body.Wxid
		ev.Chat = ChatPrivate
		content := string(x.Content)
		switch {
		case isRoom(ev.From):
			ev.Chat, ev.Room = ChatGroup, ev.From
			if sender, rest, ok := refSplitSender(content); ok {
				content = rest
				if sender != ev.Room {
					ev.From = sender
				}
			}
		case isRoom(ev.To):
			ev.Chat, ev.Room = ChatGroup, ev.To
		}
		if ev.ID != "" {
			ev.DedupKey = refDedupKey("gewe", body.Appid, ev.ID)
		} else {
			ev.DedupKey = refHashKey("gewe", body.Appid, "AddMsg", raw)
		}
		ev.Gewe.MsgID, ev.Gewe.MsgType, ev.Gewe.MsgSeq = string(x.MsgID), x.MsgType, x.MsgSeq
		ev.Gewe.MsgSource, ev.Gewe.PushContent = x.MsgSource, x.PushContent
		if x.MsgType == 1 {
			ev.Kind, ev.Text = KindText, content
		} else {
			refWeChat(ev, x.MsgType, content)
		}
		if ev.Kind == KindFriendRequest && ev.Chat == ChatPrivate {
			ev.Chat = ChatNone
		}
		if x.ImgBuf.Buffer != "" && (ev.Kind == KindImage || ev.Kind == KindVideo || ev.Kind == KindEmoji) {
			ev.Media.Thumb.Data = x.ImgBuf.Buffer
		}
		if ev.Chat == ChatGroup && x.MsgSource != "" {
			var ms struct {
				AtUserList string `xml:"atuserlist"`
			}
			if xml.Unmarshal([]byte(x.MsgSource), &ms) == nil {
				for _, id := range strings.Split(ms.AtUserList, ",") {
					if id = strings.TrimSpace(id); id != "" {
						ev.Mentions = append(ev.Mentions, id)
					}
				}
			}
		}
	case "ModContacts", "DelContacts":
		if !hasData {
			return &Error{Code: CodeMissingField, Vendor: Gewe, Field: "Data", Offset: -1}
		}
		ev.DedupKey = refHashKey("gewe", body.Appid, body.TypeName, raw)
		user := string(x.UserName)
		switch {
		case body.TypeName == "DelContacts" && isRoom(user):
			ev.Kind, ev.Chat, ev.Room = KindRoomLeave, ChatGroup, user
		case body.TypeName == "DelContacts":
			ev.Kind, ev.From = KindFriendDeleted, user
		case isRoom(user):
			ev.Kind, ev.Chat, ev.Room = KindRoomInfo, ChatGroup, user
		default:
			ev.Kind, ev.From = KindContactUpdate, user
		}
	case "Offline":
		ev.Kind = KindOffline
		ev.DedupKey = refHashKey("gewe", body.Appid, "Offline", body.Wxid, raw)
	default:
		ev.Kind = KindUnknown
		ev.DedupKey = refHashKey("gewe", body.Appid, body.TypeName, raw)
	}
	return nil
}

// ---- shared ----

// refDecode decodes one callback body into a new Event.
func refDecode(src []byte, want Dialect) (*Event, error) {
	trimmed := bytes.TrimSpace(src)
	if len(trimmed) == 0 {
		return nil, &Error{Code: CodeEmpty, Vendor: want, Offset: 0}
	}
	if trimmed[0] != '{' {
		return nil, &Error{Code: CodeNotJSON, Vendor: want, Offset: len(src) - len(bytes.TrimLeft(src, " \t\r\n"))}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(src, &top); err != nil {
		return nil, refFieldError(err, want)
	}
	got := refDetect(top)
	switch {
	case want == Auto && got == Auto:
		return nil, &Error{Code: CodeUnknownDialect, Offset: -1}
	case want == Auto:
		want = got
	case got != Auto && got != want && refProven(top) != Auto:
		return nil, &Error{Code: CodeWrongDialect, Vendor: want, Offset: -1}
	}
	ev := &Event{Vendor: want}
	var err error
	switch want {
	case Wecom:
		err = refWecom(src, ev)
	case Eyun:
		err = refEyun(src, ev)
	case DLL:
		err = refDLL(src, ev)
	case Gewe:
		err = refGewe(src, ev)
	}
	if err != nil {
		return nil, err
	}
	if ev.Kind == KindUnknown {
		ev.Raw = trimmed
	}
	return ev, nil
}

// refProven is the dialect named by a key only one dialect uses.
func refProven(top map[string]json.RawMessage) Dialect {
	if ev, ok := top["event"]; ok && len(ev) > 0 {
		if ev[0] == '{' {
			return Wecom
		}
		return DLL
	}
	if _, ok := top["message"]; ok {
		return Wecom
	}
	if _, ok := top["wcId"]; ok {
		return Eyun
	}
	if _, ok := top["messageType"]; ok {
		return Eyun
	}
	for _, k := range []string{"TypeName", "Appid", "Wxid", "testMsg"} {
		if _, ok := top[k]; ok {
			return Gewe
		}
	}
	return Auto
}

// refDetect is the dialect a key proves, or the one hinted by other keys.
func refDetect(top map[string]json.RawMessage) Dialect {
	if d := refProven(top); d != Auto {
		return d
	}
	for key, d := range map[string]Dialect{"seq": Wecom, "token": Wecom, "account": Eyun, "description": DLL, "time": DLL, "Data": Gewe} {
		if _, ok := top[key]; ok {
			return d
		}
	}
	return Auto
}

// refFieldError maps an encoding/json error to an *Error.
func refFieldError(err error, d Dialect) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &Error{Code: CodeNotJSON, Vendor: d, Offset: int(syn.Offset), Detail: syn.Error()}
	case errors.As(err, &typ):
		return &Error{Code: CodeBadField, Vendor: d, Field: typ.Field, Offset: int(typ.Offset), Detail: typ.Error()}
	}
	return &Error{Code: CodeBadField, Vendor: d, Offset: -1, Detail: err.Error()}
}

func refSplitSender(content string) (sender, rest string, ok bool) {
	i := strings.IndexByte(content, ':')
	if i <= 0 || i > 80 {
		return "", content, false
	}
	for _, c := range content[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-@.", c)) {
			return "", content, false
		}
	}
	rest = strings.TrimPrefix(content[i+1:], " ")
	if !strings.HasPrefix(rest, "\n") {
		return "", content, false
	}
	return content[:i], rest[1:], true
}

func refRealID(s string) string {
	if s == "0" {
		return ""
	}
	return s
}

func refMillis(n int64) int64 {
	switch {
	case n <= 0:
		return 0
	case n < 100_000_000_000:
		return n * 1000
	case n >= 100_000_000_000_000:
		return n / 1000
	}
	return n
}

// refDedupKey is "<vendor>:<escaped parts…>" when that is at most 160 bytes,
// the hashed form otherwise (the canonical schema's rule): in a part, a byte
// outside [A-Za-z0-9@._*+-] becomes %XX and a part "h" becomes %68.
func refDedupKey(vendor string, parts ...string) string {
	key := vendor
	for _, p := range parts {
		key += ":"
		if p == "h" {
			key += "%68"
			continue
		}
		for _, c := range []byte(p) {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("@._-*+", c) >= 0 {
				key += string(rune(c))
			} else {
				key += fmt.Sprintf("%%%02X", c)
			}
		}
	}
	if len(key) > 160 {
		return refHashKey(vendor, parts...)
	}
	return key
}

// refHashKey is "<vendor>:h:<FNV-1a 64 of the parts, each followed by a 0
// byte>", a 0 or 1 byte inside a part hashed as 1 2 or 1 1.
func refHashKey(vendor string, parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		if strings.ContainsAny(p, "\x00\x01") {
			p = strings.NewReplacer("\x01", "\x01\x01", "\x00", "\x01\x02").Replace(p)
		}
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%s:h:%016x", vendor, h.Sum64())
}

// refCanonical is the canonical JSON shape for encoding/json: enums as their
// names, empty objects left out (omitzero).
type refCanonical struct {
	Vendor      string              `json:"vendor"`
	Kind        string              `json:"kind"`
	Chat        string              `json:"chat"`
	ID          string              `json:"id"`
	DedupKey    string              `json:"dedup_key"`
	Time        int64               `json:"time"`
	Account     string              `json:"account"`
	From        string              `json:"from"`
	To          string              `json:"to"`
	Room        string              `json:"room"`
	Self        bool                `json:"self"`
	Text        string              `json:"text"`
	Mentions    []string            `json:"mentions"`
	FromName    string              `json:"from_name,omitempty"`
	Media       Media               `json:"media,omitzero"`
	Location    Location            `json:"location,omitzero"`
	Link        Link                `json:"link,omitzero"`
	MiniProgram MiniProgram         `json:"mini_program,omitzero"`
	Card        Card                `json:"card,omitzero"`
	Quote       Quote               `json:"quote,omitzero"`
	Transfer    Transfer            `json:"transfer,omitzero"`
	RedPacket   RedPacket           `json:"red_packet,omitzero"`
	History     refCanonicalHistory `json:"chat_history,omitzero"`
	Pat         Pat                 `json:"pat,omitzero"`
	Recall      Recall              `json:"recall,omitzero"`
	Friend      FriendRequest       `json:"friend_request,omitzero"`
	RoomChange  refCanonicalRoom    `json:"room_change,omitzero"`
	RoomInfo    RoomInfo            `json:"room_info,omitzero"`
	Channels    Channels            `json:"channels,omitzero"`
	Announce    Announcement        `json:"announcement,omitzero"`
	Todo        Todo                `json:"todo,omitzero"`
	Call        Call                `json:"call,omitzero"`
	Wecom       WecomFields         `json:"wecom,omitzero"`
	Eyun        EyunFields          `json:"eyun,omitzero"`
	DLL         DLLFields           `json:"dll,omitzero"`
	Content     string              `json:"content,omitempty"`
	Problem     Problem             `json:"problem,omitzero"`
	Raw         json.RawMessage     `json:"raw,omitempty"`
}

// The two objects with slices cannot be compared with ==, so omitzero needs
// them as pointers-free structs whose zero value is detectable: IsZero.
type refCanonicalHistory ChatHistory

func (h refCanonicalHistory) IsZero() bool { return h.Title == "" && h.Desc == "" && len(h.Items) == 0 }

type refCanonicalRoom RoomChange

func (r refCanonicalRoom) IsZero() bool {
	return r.Actor == "" && r.ActorName == "" && len(r.Members) == 0 && r.Topic == "" && r.Template == ""
}

// refAppendJSON appends ev's canonical JSON, written by encoding/json.
func refAppendJSON(dst []byte, ev *Event) ([]byte, error) {
	c := refCanonical{
		Vendor: ev.Vendor.String(), Kind: ev.Kind.String(), Chat: ev.Chat.String(), ID: ev.ID,
		DedupKey: ev.DedupKey, Time: ev.Time, Account: ev.Account, From: ev.From, To: ev.To, Room: ev.Room,
		Self: ev.Self, Text: ev.Text, Mentions: ev.Mentions, FromName: ev.FromName, Media: ev.Media,
		Location: ev.Location, Link: ev.Link, MiniProgram: ev.MiniProgram, Card: ev.Card, Quote: ev.Quote,
		Transfer: ev.Transfer, RedPacket: ev.RedPacket, History: refCanonicalHistory(ev.History), Pat: ev.Pat,
		Recall: ev.Recall, Friend: ev.Friend, RoomChange: refCanonicalRoom(ev.RoomChange), RoomInfo: ev.RoomInfo,
		Channels: ev.Channels, Announce: ev.Announce, Todo: ev.Todo, Call: ev.Call,
		Wecom: ev.Wecom, Eyun: ev.Eyun, DLL: ev.DLL, Content: ev.Content, Problem: ev.Problem,
		Raw: json.RawMessage(ev.Raw),
	}
	if c.Mentions == nil {
		c.Mentions = []string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// refAppendDecode is the reference counterpart of Decoder.AppendDecode.
func refAppendDecode(dst, src []byte, d Dialect) ([]byte, error) {
	ev, err := refDecode(src, d)
	if err != nil {
		return dst, err
	}
	return refAppendJSON(dst, ev)
}

// ---- tests of the reference against the Decoder ----

// refCore is the part of an event both implementations must agree on.
type refCore struct {
	Vendor, Kind, Chat, ID, DedupKey, Account, From, To, Room, Text string
	Time                                                            int64
	Self                                                            bool
	Mentions                                                        []string
}

func refCoreOf(ev *Event) refCore {
	m := ev.Mentions
	if len(m) == 0 {
		m = nil
	}
	return refCore{Vendor: ev.Vendor.String(), Kind: ev.Kind.String(), Chat: ev.Chat.String(), ID: ev.ID,
		DedupKey: ev.DedupKey, Account: ev.Account, From: ev.From, To: ev.To, Room: ev.Room, Text: ev.Text,
		Time: ev.Time, Self: ev.Self, Mentions: m}
}

// TestReferenceAgrees cross-checks two independent implementations: for every
// valid fixture, the envelope-level fields of the Decoder's event (as given
// and as auto-detected) equal the reference decoder's. Kinds decided by
// WeChat XML are compared too, since both read the same documents.
func TestReferenceAgrees(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.dialect.String()+"/"+f.name, func(t *testing.T) {
			ref, err := refDecode(f.src, Auto)
			if err != nil {
				t.Fatalf("reference: %v", err)
			}
			for _, d := range []Dialect{Auto, f.dialect} {
				var dec Decoder
				var ev Event
				if err := dec.Decode(f.src, d, &ev); err != nil {
					t.Fatalf("Decode as %s: %v", d, err)
				}
				if got, want := refCoreOf(&ev), refCoreOf(ref); !reflect.DeepEqual(got, want) {
					t.Errorf("as %s:\n decoder   %+v\n reference %+v", d, got, want)
				}
			}
			// The reference's own JSON is valid and names the same kind.
			js, err := refAppendJSON(nil, ref)
			if err != nil || !json.Valid(js) || !utf8.Valid(js) {
				t.Fatalf("reference JSON: %v: %s", err, js)
			}
		})
	}
}

// TestReferenceRejects: both implementations reject the invalid bodies of
// testdata/callbacks/invalid, and agree on the error code where the code is
// a matter of JSON syntax or shape rather than of implementation detail.
func TestReferenceRejects(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "callbacks", "invalid", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no invalid fixtures: %v", err)
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(p)
		var dec Decoder
		var ev Event
		decErr := dec.Decode(src, Auto, &ev)
		_, refErr := refDecode(src, Auto)
		if (decErr == nil) != (refErr == nil) {
			t.Errorf("%s: decoder error %v, reference error %v", name, decErr, refErr)
			continue
		}
		if decErr == nil {
			continue // accepted by both (invalid UTF-8 is replaced, as encoding/json does)
		}
		dc, rc := decErr.(*Error).Code, refErr.(*Error).Code
		switch dc {
		case CodeEmpty, CodeUnknownDialect:
			if dc != rc {
				t.Errorf("%s: decoder %s, reference %s", name, dc, rc)
			}
		}
	}
}

// refLargeText builds a text callback of the dialect whose text is n bytes.
// (A 1 MB body is generated rather than committed under testdata.)
func refLargeText(d Dialect, text string) []byte {
	q, _ := json.Marshal(text)
	switch d {
	case Wecom:
		return []byte(`{"seq":"9327150","token":"2fe8b98609a94a2089786fd379ef2724","message":{"id":1001320,` +
			`"remote_id":"9327150","text":` + string(q) + `,"timestamp":"1697707001","type":"Text",` +
			`"from_id":"1688853914275463","to_id":"1688855440457534"}}`)
	case Eyun:
		return []byte(`{"account":"180132123321","data":{"content":` + string(q) + `,"fromUser":"wxid_6j310kguyobz22",` +
			`"msgId":1713245501,"newMsgId":4410298475610293847,"self":false,"timestamp":1619173301,` +
			`"toUser":"wxid_ctqh94e1ahe722","wId":"0768a034-4292-4cf6-bd85-379312eb9dc1"},"messageType":5,` +
			`"wcId":"wxid_ctqh94e1ahe722"}`)
	case Gewe:
		return []byte(`{"TypeName":"AddMsg","Appid":"wx_wR_U4zPj2M_OTS3BCyoE4","Wxid":"wxid_phyyedw9xap22","Data":{` +
			`"MsgId":1040356095,"FromUserName":{"string":"wxid_0xsqb3o0tsvz22"},"ToUserName":{"string":"wxid_phyyedw9xap22"},` +
			`"MsgType":1,"Content":{"string":` + string(q) + `},"CreateTime":1705043418,"NewMsgId":7773749793478223190}}`)
	}
	return []byte(`{"event":"20002","description":"文本消息事件","time":1726828400045,"data":{` +
		`"instanceId":"97554f7c82a1439c86df3143ef4975c5","robotId":"1832041745276633088","sendTime":1726828400012,` +
		`"localId":"7053704521966022977","serverId":"3384756190384756118","messageType":1,"message":` + string(q) +
		`,"messageSource":0,"conversationId":"wxid_9k2mx81lq0ce22","fromWxId":"wxid_9k2mx81lq0ce22",` +
		`"toWxId":"wxid_h3v7t1q8c2zj12","fromNickName":"李娜","isPc":0}}`)
}

// TestLargeTextMessage: a 1 MB text message (with escapes, so the text is
// unescaped rather than aliased) decodes in every dialect to exactly its text,
// as the reference decoder reads it too, and a reused Decoder is not confused
// by a small message after a large one.
func TestLargeTextMessage(t *testing.T) {
	unit := "一段很长的消息 \"引号\" \\ 换行\n\t😀 "
	text := strings.Repeat(unit, 1<<20/len(unit)+1)
	for _, d := range []Dialect{Wecom, Eyun, DLL, Gewe} {
		src := refLargeText(d, text)
		if len(src) < 1<<20 {
			t.Fatalf("%s body is only %d bytes", d, len(src))
		}
		var dec Decoder
		var ev Event
		if err := dec.Decode(src, Auto, &ev); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if ev.Vendor != d || ev.Kind != KindText || ev.Text != text {
			t.Fatalf("%s: vendor %s kind %s, text of %d bytes, want %d", d, ev.Vendor, ev.Kind, len(ev.Text), len(text))
		}
		ref, err := refDecode(src, Auto)
		if err != nil {
			t.Fatalf("%s reference: %v", d, err)
		}
		if got, want := refCoreOf(&ev), refCoreOf(ref); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decoder and reference disagree on the large message", d)
		}
		small := refLargeText(d, "短")
		if err := dec.Decode(small, Auto, &ev); err != nil || ev.Text != "短" {
			t.Fatalf("%s: small after large: %v, text %q", d, err, ev.Text)
		}
	}
}
