package decoder

import "github.com/mailru/easyjson/jwriter"

// Custom marshalers for the vendor objects every text event of wecom and
// eyun carries. easyjson's generated code for Event calls them (a type with
// a MarshalEasyJSON method is written through it), so they stay inside the
// generated flow; they write what easyjson would generate for the struct
// (same keys, order and omissions: TestFieldsJSONMatchesTags compares them
// with encoding/json for every field, so a field added to the struct and not
// here fails), with writeString for the strings.

// MarshalEasyJSON writes the wecom object of the canonical JSON.
func (f *WecomFields) MarshalEasyJSON(w *jwriter.Writer) {
	o := objectWriter{w: w}
	o.str(`"seq":`, f.Seq)
	o.str(`"token":`, f.Token)
	o.str(`"remote_id":`, f.RemoteID)
	o.str(`"type":`, f.Type)
	o.str(`"event_type":`, f.EventType)
	o.str(`"extension":`, f.Extension)
	o.end()
}

// MarshalEasyJSON writes the eyun object of the canonical JSON.
func (f *EyunFields) MarshalEasyJSON(w *jwriter.Writer) {
	o := objectWriter{w: w}
	o.str(`"wc_id":`, f.WcID)
	o.str(`"account":`, f.Account)
	o.str(`"w_id":`, f.WID)
	o.str(`"msg_id":`, f.MsgID)
	o.key(`"message_type":`)
	w.Int64(f.MessageType) // not omitempty
	o.num(`"msg_type":`, f.MsgType)
	o.num(`"appmsg_type":`, f.AppMsgType)
	o.str(`"msg_source":`, f.MsgSource)
	o.num(`"length":`, f.Length)
	o.num(`"voice_length":`, f.VoiceLength)
	o.end()
}

// MarshalEasyJSON writes the dll object of the canonical JSON.
func (f *DLLFields) MarshalEasyJSON(w *jwriter.Writer) {
	o := objectWriter{w: w}
	o.str(`"event":`, f.Event)
	o.str(`"description":`, f.Description)
	o.str(`"instance_id":`, f.InstanceID)
	o.str(`"robot_id":`, f.RobotID)
	o.num(`"send_time":`, f.SendTime)
	o.str(`"local_id":`, f.LocalID)
	o.str(`"server_id":`, f.ServerID)
	o.str(`"app_info":`, f.AppInfo)
	o.num(`"message_type":`, f.MessageType)
	o.key(`"message_source":`)
	w.Int64(f.MessageSource) // not omitempty
	o.str(`"conversation_id":`, f.ConversationID)
	o.key(`"is_pc":`)
	w.Int64(f.IsPC) // not omitempty
	o.str(`"quote_app_info":`, f.QuoteAppInfo)
	o.num(`"type":`, f.Type)
	o.num(`"source_type":`, f.SourceType)
	o.str(`"source":`, f.Source)
	o.str(`"device":`, f.Device)
	o.str(`"phone":`, f.Phone)
	o.str(`"country":`, f.Country)
	o.str(`"from_type":`, f.FromType)
	o.str(`"extras":`, f.Extras)
	o.end()
}

// MarshalEasyJSON writes the gewe object of the canonical JSON (its
// msg_source, WeChat's XML, is the longest string of a gewe text event).
func (f *GeweFields) MarshalEasyJSON(w *jwriter.Writer) {
	o := objectWriter{w: w}
	o.str(`"type_name":`, f.TypeName)
	o.str(`"appid":`, f.Appid)
	o.str(`"msg_id":`, f.MsgID)
	o.num(`"msg_type":`, f.MsgType)
	o.num(`"appmsg_type":`, f.AppMsgType)
	o.num(`"msg_seq":`, f.MsgSeq)
	o.str(`"msg_source":`, f.MsgSource)
	o.str(`"push_content":`, f.PushContent)
	o.num(`"delete_scene":`, f.DeleteScene)
	o.str(`"test_msg":`, f.TestMsg)
	o.end()
}

// MarshalEasyJSON writes the media object: the image, file and video events'
// URLs, keys and the thumbnail's inline base64 data are long strings, which
// easyjson's String writes a byte at a time (13% of an eyun image event's
// instructions).
func (m *Media) MarshalEasyJSON(w *jwriter.Writer) {
	o := objectWriter{w: w}
	o.str(`"url":`, m.URL)
	o.str(`"hd_url":`, m.HDURL)
	o.str(`"file_id":`, m.FileID)
	o.str(`"aes_key":`, m.AESKey)
	o.str(`"auth_key":`, m.AuthKey)
	o.str(`"md5":`, m.MD5)
	o.str(`"new_md5":`, m.NewMD5)
	o.str(`"file_name":`, m.FileName)
	o.str(`"file_ext":`, m.FileExt)
	o.num(`"size":`, m.Size)
	o.num(`"hd_size":`, m.HDSize)
	o.num(`"width":`, m.Width)
	o.num(`"height":`, m.Height)
	o.num(`"duration":`, m.Duration)
	o.str(`"format":`, m.Format)
	o.num(`"cdn_type":`, m.CDNType)
	o.num(`"encrypt":`, m.Encrypt)
	o.str(`"buf_id":`, m.BufID)
	o.str(`"product_id":`, m.ProductID)
	if m.Thumb.IsDefined() {
		o.key(`"thumb":`)
		m.Thumb.MarshalEasyJSON(w)
	}
	o.end()
}

// MarshalEasyJSON writes a thumbnail object.
func (t *Thumb) MarshalEasyJSON(w *jwriter.Writer) {
	o := objectWriter{w: w}
	o.str(`"url":`, t.URL)
	o.str(`"file_id":`, t.FileID)
	o.str(`"aes_key":`, t.AESKey)
	o.str(`"md5":`, t.MD5)
	o.num(`"size":`, t.Size)
	o.num(`"width":`, t.Width)
	o.num(`"height":`, t.Height)
	o.str(`"data":`, t.Data)
	o.num(`"cdn_type":`, t.CDNType)
	o.end()
}

// MarshalEasyJSON writes the link object.
func (l *Link) MarshalEasyJSON(w *jwriter.Writer) {
	o := objectWriter{w: w}
	o.str(`"title":`, l.Title)
	o.str(`"desc":`, l.Desc)
	o.str(`"url":`, l.URL)
	o.str(`"thumb_url":`, l.ThumbURL)
	o.str(`"source":`, l.Source)
	o.str(`"app_id":`, l.AppID)
	o.end()
}

// objectWriter writes one JSON object's members, the separators as
// easyjson's generated code writes them.
type objectWriter struct {
	w       *jwriter.Writer
	started bool
}

// sep returns the byte before the next member: '{' for the first, ','
// after.
func (o *objectWriter) sep() byte {
	if o.started {
		return ','
	}
	o.started = true
	return '{'
}

// key writes the member name key (with its quotes and colon), opening the
// object or writing the comma before it.
func (o *objectWriter) key(key string) {
	o.w.RawByte(o.sep())
	o.w.RawString(key)
}

// str writes a string member, omitted when empty.
func (o *objectWriter) str(key, v string) {
	if v != "" {
		o.field(key, v)
	}
}

// num writes an integer member, omitted when zero.
func (o *objectWriter) num(key string, v int64) {
	if v != 0 {
		o.key(key)
		o.w.Int64(v)
	}
}

// end closes the object ({} when no member was written).
func (o *objectWriter) end() {
	if !o.started {
		o.w.RawByte('{')
	}
	o.w.RawByte('}')
}

// eventPos is where writeEvent wrote two string values: [start, end) of
// their bytes as written (escaped, without the quotes), counted from the
// start of the writer's whole output.
type eventPos struct {
	dedup, account span
}

type span struct{ start, end int }

// name writes a member whose value is an enum's name (lower-case ASCII
// words, TestEnumNamesNeedNoEscaping): no escape scan.
func (o *objectWriter) name(key, v string) {
	w := o.w
	if b := w.Buffer.Buf; cap(b)-len(b) >= len(key)+len(v)+3 {
		b = append(b, o.sep())
		b = append(b, key...)
		b = append(b, '"')
		b = append(b, v...)
		w.Buffer.Buf = append(b, '"')
		return
	}
	o.key(key)
	writeName(w, v)
}

// field writes a string member, empty or not, and returns where its value
// lies in the output. A value with nothing to escape goes into the buffer
// with its key in one step when the buffer has room: the writer's RawByte
// and RawString are calls, each costing more than the copy of a short id.
func (o *objectWriter) field(key, v string) span {
	w := o.w
	i := -1 // plainPrefix(v), when the writer leaves HTML alone
	if w.NoEscapeHTML {
		i = plainPrefix(v)
	}
	if b := w.Buffer.Buf; i == len(v) && cap(b)-len(b) >= len(key)+len(v)+3 {
		b = append(b, o.sep())
		b = append(b, key...)
		b = append(b, '"')
		start := w.Buffer.Size() + len(b) - len(w.Buffer.Buf)
		b = append(b, v...)
		w.Buffer.Buf = append(b, '"')
		return span{start, start + len(v)}
	}
	o.key(key)
	start := w.Buffer.Size() + 1 // after the opening quote
	if i < 0 {
		w.String(v)
	} else {
		writeStringAt(w, v, i)
	}
	return span{start, w.Buffer.Size() - 1}
}
