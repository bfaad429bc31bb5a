// Package peers holds the Go peers of the wxhook peers benchmark: decoders
// written the way a user would write them with go-json or sonic (JSON) and
// encoding/xml (the XML inside eyun's content), each pulling the fields that
// wxhook's canonical event carries for the four benchmark payloads and
// writing them as JSON. It is its own module so that go-json and sonic never
// enter the main go.mod; see README.md for what each peer does.
//
// The peers cover exactly the payload shapes of the benchmark (wecom text,
// eyun text, eyun image XML, eyun link XML), not the dialects: they are a
// yardstick, not a second decoder.
package peers

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Event is the canonical event (docs/SCHEMA.md) as far as the benchmark
// payloads fill it. Field order follows the goldens.
type Event struct {
	Vendor   string    `json:"vendor"`
	Kind     string    `json:"kind"`
	Chat     string    `json:"chat"`
	ID       string    `json:"id"`
	DedupKey string    `json:"dedup_key"`
	Time     int64     `json:"time"`
	Account  string    `json:"account"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Room     string    `json:"room"`
	Self     bool      `json:"self"`
	Text     string    `json:"text"`
	Mentions []string  `json:"mentions"`
	Media    *Media    `json:"media,omitempty"`
	Link     *Link     `json:"link,omitempty"`
	Wecom    *WecomExt `json:"wecom,omitempty"`
	Eyun     *EyunExt  `json:"eyun,omitempty"`
}

// Media is the canonical media object for an image.
type Media struct {
	URL     string `json:"url,omitempty"`
	HDURL   string `json:"hd_url,omitempty"`
	AESKey  string `json:"aes_key,omitempty"`
	MD5     string `json:"md5,omitempty"`
	Size    int64  `json:"size,omitempty"`
	HDSize  int64  `json:"hd_size,omitempty"`
	Encrypt int64  `json:"encrypt,omitempty"`
	Thumb   *Thumb `json:"thumb,omitempty"`
}

// Thumb is media.thumb.
type Thumb struct {
	URL    string `json:"url,omitempty"`
	AESKey string `json:"aes_key,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Width  int64  `json:"width,omitempty"`
	Height int64  `json:"height,omitempty"`
	Data   string `json:"data,omitempty"`
}

// Link is the canonical link object.
type Link struct {
	Title    string `json:"title,omitempty"`
	Desc     string `json:"desc,omitempty"`
	URL      string `json:"url,omitempty"`
	ThumbURL string `json:"thumb_url,omitempty"`
	Source   string `json:"source,omitempty"`
	AppID    string `json:"app_id,omitempty"`
}

// WecomExt is the event's "wecom" object.
type WecomExt struct {
	Seq      string `json:"seq"`
	Token    string `json:"token"`
	RemoteID string `json:"remote_id"`
	Type     string `json:"type"`
}

// EyunExt is the event's "eyun" object.
type EyunExt struct {
	WcID        string `json:"wc_id"`
	Account     string `json:"account"`
	WID         string `json:"w_id"`
	MsgID       string `json:"msg_id"`
	MessageType int    `json:"message_type"`
	MsgType     int    `json:"msg_type,omitempty"`
	AppmsgType  int    `json:"appmsg_type,omitempty"`
}

// WecomIn is the wecom callback as a struct decoder reads it.
type WecomIn struct {
	Seq     string `json:"seq"`
	Token   string `json:"token"`
	Message struct {
		ID        int64  `json:"id"`
		RemoteID  string `json:"remote_id"`
		Text      string `json:"text"`
		Timestamp string `json:"timestamp"`
		Type      string `json:"type"`
		FromID    string `json:"from_id"`
		ToID      string `json:"to_id"`
		RoomID    string `json:"room_id"`
	} `json:"message"`
}

// EyunIn is the eyun callback as a struct decoder reads it. newMsgId
// exceeds 2^53: it is read as uint64, never through float64.
type EyunIn struct {
	Account string `json:"account"`
	Data    struct {
		Content   string `json:"content"`
		FromUser  string `json:"fromUser"`
		FromGroup string `json:"fromGroup"`
		Img       string `json:"img"`
		MsgID     int64  `json:"msgId"`
		MsgType   int    `json:"msgType"`
		NewMsgID  uint64 `json:"newMsgId"`
		Self      bool   `json:"self"`
		Timestamp int64  `json:"timestamp"`
		ToUser    string `json:"toUser"`
		WID       string `json:"wId"`
	} `json:"data"`
	MessageType int    `json:"messageType"`
	WcID        string `json:"wcId"`
}

// Unmarshal and Marshal are a JSON library's two calls.
type (
	Unmarshal func([]byte, any) error
	Marshal   func(any) ([]byte, error)
)

// Wecom decodes a wecom text callback and writes its event.
func Wecom(src []byte, un Unmarshal, m Marshal) ([]byte, error) {
	var in WecomIn
	if err := un(src, &in); err != nil {
		return nil, err
	}
	msg := &in.Message
	if msg.Type != "Text" {
		return nil, fmt.Errorf("peers: wecom type %q not covered", msg.Type)
	}
	ts, err := strconv.ParseInt(msg.Timestamp, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("peers: wecom timestamp: %w", err)
	}
	id := strconv.FormatInt(msg.ID, 10)
	e := Event{Vendor: "wecom", Kind: "text", Chat: "private", ID: id, Time: ts * 1000,
		From: msg.FromID, To: msg.ToID, Room: msg.RoomID, Text: msg.Text, Mentions: []string{},
		Wecom: &WecomExt{Seq: in.Seq, Token: in.Token, RemoteID: msg.RemoteID, Type: msg.Type}}
	peer := msg.ToID
	if msg.RoomID != "" {
		e.Chat, peer = "group", msg.RoomID
	}
	e.DedupKey = "wecom:" + msg.FromID + ":" + peer + ":" + id + ":" + msg.Timestamp
	return m(&e)
}

// Eyun decodes an eyun text, image (msgType 3) or link (msgType 49, appmsg
// type 5) callback and writes its event; XML content goes through
// encoding/xml.
func Eyun(src []byte, un Unmarshal, m Marshal) ([]byte, error) {
	var in EyunIn
	if err := un(src, &in); err != nil {
		return nil, err
	}
	d := &in.Data
	id := strconv.FormatUint(d.NewMsgID, 10)
	e := Event{Vendor: "eyun", Chat: "private", ID: id, Time: d.Timestamp * 1000, Account: in.WcID,
		From: d.FromUser, To: d.ToUser, Room: d.FromGroup, Self: d.Self, Mentions: []string{},
		DedupKey: "eyun:" + in.WcID + ":" + id + ":" + strconv.FormatInt(d.Timestamp, 10),
		Eyun: &EyunExt{WcID: in.WcID, Account: in.Account, WID: d.WID, MsgID: strconv.FormatInt(d.MsgID, 10),
			MessageType: in.MessageType, MsgType: d.MsgType}}
	content := d.Content
	if d.FromGroup != "" {
		e.Chat = "group"
		// Group content starts "sender:\n".
		if i := strings.Index(content, ":\n"); i >= 0 && !strings.ContainsAny(content[:i], "<\n") {
			content = content[i+2:]
		}
	}
	switch d.MsgType {
	case 0, 1: // text: messageType 5 (private), 9 (group)
		if in.MessageType != 5 && in.MessageType != 9 {
			return nil, errors.New("peers: eyun messageType " + strconv.Itoa(in.MessageType) + " not covered")
		}
		e.Kind, e.Text = "text", content
	case 3:
		var x imageXML
		if err := xml.Unmarshal([]byte(content), &x); err != nil {
			return nil, fmt.Errorf("peers: eyun image xml: %w", err)
		}
		i := &x.Img
		e.Kind = "image"
		e.Media = &Media{URL: i.MidURL, HDURL: i.BigURL, AESKey: i.AESKey, MD5: i.MD5, Size: i.Length,
			HDSize: i.HDLength, Encrypt: i.EncryVer,
			Thumb: &Thumb{URL: i.ThumbURL, AESKey: i.ThumbAESKey, Size: i.ThumbLength, Width: i.ThumbWidth,
				Height: i.ThumbHeight, Data: d.Img}}
	case 49:
		var x appmsgXML
		if err := xml.Unmarshal([]byte(content), &x); err != nil {
			return nil, fmt.Errorf("peers: eyun appmsg xml: %w", err)
		}
		a := &x.Appmsg
		if a.Type != 5 {
			return nil, fmt.Errorf("peers: eyun appmsg type %d not covered", a.Type)
		}
		e.Kind = "link"
		e.Eyun.AppmsgType = a.Type
		e.Link = &Link{Title: a.Title, Desc: a.Des, URL: a.URL, ThumbURL: a.ThumbURL,
			Source: a.SourceDisplayName, AppID: a.AppID}
	default:
		return nil, errors.New("peers: eyun msgType " + strconv.Itoa(d.MsgType) + " not covered")
	}
	return m(&e)
}

type imageXML struct {
	Img struct {
		AESKey      string `xml:"aeskey,attr"`
		EncryVer    int64  `xml:"encryver,attr"`
		ThumbAESKey string `xml:"cdnthumbaeskey,attr"`
		ThumbURL    string `xml:"cdnthumburl,attr"`
		ThumbLength int64  `xml:"cdnthumblength,attr"`
		ThumbHeight int64  `xml:"cdnthumbheight,attr"`
		ThumbWidth  int64  `xml:"cdnthumbwidth,attr"`
		MidURL      string `xml:"cdnmidimgurl,attr"`
		Length      int64  `xml:"length,attr"`
		BigURL      string `xml:"cdnbigimgurl,attr"`
		HDLength    int64  `xml:"hdlength,attr"`
		MD5         string `xml:"md5,attr"`
	} `xml:"img"`
}

type appmsgXML struct {
	Appmsg struct {
		AppID             string `xml:"appid,attr"`
		Title             string `xml:"title"`
		Des               string `xml:"des"`
		Type              int    `xml:"type"`
		URL               string `xml:"url"`
		ThumbURL          string `xml:"thumburl"`
		SourceDisplayName string `xml:"sourcedisplayname"`
	} `xml:"appmsg"`
}
