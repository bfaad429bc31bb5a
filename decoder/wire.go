package decoder

// The vendors' wire structs. Every field is a val (raw bytes) so that type
// variations between vendor versions never fail a whole callback, and so that
// decoding does not allocate. Unknown keys are skipped by the generated code.
// Each struct lists every field of the vendor's documentation.

// wecomMessage is wecom's "message" object (private and group messages).
type wecomMessage struct {
	ID        val `json:"id"`
	RemoteID  val `json:"remote_id"`
	Text      val `json:"text"`
	Timestamp val `json:"timestamp"`
	Type      val `json:"type"`
	FromID    val `json:"from_id"`
	ToID      val `json:"to_id"`
	RoomID    val `json:"room_id"`
}

// wecomEvent is wecom's "event" object.
type wecomEvent struct {
	EventType val          `json:"event_type"`
	Payload   wecomPayload `json:"payload"`
}

// wecomPayload is the union of the payloads of ROOM_TOPIC, ROOM_JOIN,
// ROOM_LEAVE and LOGOUT (Wechaty puppet events); one struct so that the
// payload can be decoded before or after event_type is seen.
type wecomPayload struct {
	ChangerID     val `json:"changer_id"`
	NewTopic      val `json:"new_topic"`
	OldTopic      val `json:"old_topic"`
	RoomID        val `json:"room_id"`
	Timestamp     val `json:"timestamp"`
	Kind          val `json:"kind"`
	Extension     val `json:"extension"`
	InviteeIDList val `json:"invitee_id_list"`
	InviterID     val `json:"inviter_id"`
	RemoveeIDList val `json:"removee_id_list"`
	RemoverID     val `json:"remover_id"`
	Data          val `json:"data"`
}

// wecomContent is the union of the JSON documents that wecom puts inside
// message.text for Image, Video, Location, MiniProgram and Url.
type wecomContent struct {
	// Image
	FileID    val `json:"file_id"`
	CDNLDSize val `json:"wechat_cdn_ld_size"`
	FileName  val `json:"file_name"`
	Size      val `json:"size"`
	Width     val `json:"width"`
	Height    val `json:"height"`
	AESKey    val `json:"aes_key"`
	MD5       val `json:"md5"`
	// Video
	VideoFileID      val `json:"video_file_id"`
	VideoSize        val `json:"video_size"`
	VideoPlayTime    val `json:"video_play_time"`
	VideoAESKey      val `json:"video_aes_key"`
	VideoMD5         val `json:"video_md5"`
	PrefaceImageURL  val `json:"preface_image_url"`
	PrefaceImageSize val `json:"preface_image_size"`
	WechatAuthKey    val `json:"wechat_auth_key"`
	URL              val `json:"url"`
	// Location
	Zoom      val `json:"zoom"`
	Address   val `json:"address"`
	Latitude  val `json:"latitude"`
	Longitude val `json:"longitude"`
	Title     val `json:"title"`
	// Url
	Desc     val `json:"desc"`
	ThumbURL val `json:"thumb_url"`
	// MiniProgram
	Parameter wecomMiniParam   `json:"parameter"`
	Preface   wecomMiniPreface `json:"preface"`
}

type wecomMiniParam struct {
	Title        val `json:"title"`
	ID           val `json:"id"`
	UserName     val `json:"user_name"`
	DisplayName  val `json:"display_name"`
	IconURL      val `json:"icon_url"`
	PagePath     val `json:"page_path"`
	RoomTodoFlag val `json:"room_todo_flag"`
}

type wecomMiniPreface struct {
	FileID         val `json:"file_id"`
	RawThumbMD5    val `json:"raw_thumb_md5"`
	ThumbTotalSize val `json:"thumb_total_size"`
	AESKey         val `json:"aes_key"`
}

// eyunData is eyun's "data" object: message fields, plus the group metadata
// of messageType 16 and the contact fields of messageType 15/17.
type eyunData struct {
	Content     val `json:"content"`
	FromUser    val `json:"fromUser"`
	FromGroup   val `json:"fromGroup"`
	ToUser      val `json:"toUser"`
	MsgID       val `json:"msgId"`
	NewMsgID    val `json:"newMsgId"`
	MsgType     val `json:"msgType"`
	Timestamp   val `json:"timestamp"`
	Self        val `json:"self"`
	WID         val `json:"wId"`
	Img         val `json:"img"`
	Length      val `json:"length"`
	VoiceLength val `json:"voiceLength"`
	MsgSource   val `json:"msgSource"`
	Atlist      val `json:"atlist"`
	// messageType 16 (group metadata), 15/17 (contacts)
	UserName        val `json:"userName"`
	NickName        val `json:"nickName"`
	Alias           val `json:"alias"`
	Sex             val `json:"sex"`
	Signature       val `json:"signature"`
	Province        val `json:"province"`
	City            val `json:"city"`
	BigHeadImgURL   val `json:"bigHeadImgUrl"`
	SmallHeadImgURL val `json:"smallHeadImgUrl"`
	ChatRoomOwner   val `json:"chatRoomOwner"`
	ChatRoomNotify  val `json:"chatRoomNotify"`
	ChatRoomStatus  val `json:"chatRoomStatus"`
	Description     val `json:"description"`
	BitMask         val `json:"bitMask"`
	AddContactScene val `json:"addContactScene"`
}

// dllData is the dll vendor's "data" object, the union over its event codes
// as the vendor documents them (testdata/SOURCES.md cites each page).
type dllData struct {
	// shared by the message events (20002 … 20014; the video page, seed D)
	InstanceID     val    `json:"instanceId"`
	RobotID        val    `json:"robotId"`
	SendTime       val    `json:"sendTime"`
	LocalID        val    `json:"localId"`
	ServerID       val    `json:"serverId"`
	AppInfo        val    `json:"appInfo"`
	MessageType    val    `json:"messageType"`
	CDNData        dllCDN `json:"cdnData"`
	CDNType        val    `json:"cdnType"`
	Height         val    `json:"height"`
	Width          val    `json:"width"`
	Duration       val    `json:"duration"`
	MessageSource  val    `json:"messageSource"`
	ConversationID val    `json:"conversationId"`
	FromWxID       val    `json:"fromWxId"`
	ToWxID         val    `json:"toWxId"`
	FromNickName   val    `json:"fromNickName"`
	IsPC           val    `json:"isPc"`
	// 20002 text (and 10002)
	Message      val `json:"message"`
	AtWxIDList   val `json:"atWxIdList"`
	QuoteAppInfo val `json:"quoteAppInfo"`
	QuoteMessage val `json:"quoteMessage"`
	// 20006 emoji
	Type       val `json:"type"`
	SourceType val `json:"sourceType"`
	URL        val `json:"url"`
	// 20008 name card (nickname and avatarUrl also 10001)
	UserID    val `json:"userId"`
	Nickname  val `json:"nickname"`
	AvatarURL val `json:"avatarUrl"`
	CorpID    val `json:"corpId"`
	CorpName  val `json:"corpName"`
	Source    val `json:"source"`
	// 20009 mini program
	AppID       val `json:"appId"`
	AppName     val `json:"appName"`
	AppIcon     val `json:"appIcon"`
	PagePath    val `json:"pagePath"`
	Title       val `json:"title"`
	Username    val `json:"username"`
	ThumbWidth  val `json:"thumbWidth"`
	ThumbHeight val `json:"thumbHeight"`
	// 20010 channels (also url, title, nickname)
	CoverURL      val `json:"coverUrl"`
	Desc          val `json:"desc"`
	Extras        val `json:"extras"`
	FeedType      val `json:"feedType"`
	ObjectID      val `json:"objectId"`
	ObjectNonceID val `json:"objectNonceId"`
	ThumbURL      val `json:"thumbUrl"`
	// 20012 voice
	C2CCDNData dllCDN `json:"c2cCdnData"`
	// 20014 text with images
	TextContent val `json:"textContent"`
	EmotionList val `json:"emotionList"`
	ImageList   val `json:"imageList"`
	// 20015 recall
	MessageServerID val `json:"messageServerId"`
	OpUserID        val `json:"opUserId"`
	RoomID          val `json:"roomId"`
	// 10001 login
	WxNum    val `json:"wxNum"`
	Device   val `json:"device"`
	Phone    val `json:"phone"`
	Country  val `json:"country"`
	Province val `json:"province"`
	// 10002 private message (older event)
	TimeStamp val `json:"timeStamp"`
	MessageID val `json:"messageId"`
	FromType  val `json:"fromType"`
}

// dllCDN is the dll vendor's cdnData object (media of every media event) and
// the c2cCdnData object of voice (20012).
type dllCDN struct {
	AESKey         val `json:"aes_key"`
	AuthKey        val `json:"auth_key"`
	FileID         val `json:"file_id"`
	FileName       val `json:"file_name"`
	PreviewImgSize val `json:"preview_img_size"`
	PreviewImgURL  val `json:"preview_img_url"`
	Height         val `json:"height"`
	Width          val `json:"width"`
	MD5            val `json:"md5"`
	Size           val `json:"size"`
	URL            val `json:"url"`
	VoiceTime      val `json:"voice_time"`
}

// geweData is GeWe's "Data" object, the union over its TypeNames as the
// vendor documents them (testdata/SOURCES.md, table gewe): the message
// fields of AddMsg and the contact fields of ModContacts and DelContacts.
// GeWe wraps strings of WeChat's protocol in {"string": …} (wxString).
type geweData struct {
	// AddMsg
	MsgID        val      `json:"MsgId"`
	NewMsgID     val      `json:"NewMsgId"`
	FromUserName wxString `json:"FromUserName"`
	ToUserName   wxString `json:"ToUserName"`
	MsgType      val      `json:"MsgType"`
	Content      wxString `json:"Content"`
	Status       val      `json:"Status"`
	ImgBuf       geweBuf  `json:"ImgBuf"`
	CreateTime   val      `json:"CreateTime"`
	MsgSource    val      `json:"MsgSource"`
	PushContent  val      `json:"PushContent"`
	MsgSeq       val      `json:"MsgSeq"`
	// ModContacts (a friend or a group), DelContacts
	UserName          wxString `json:"UserName"`
	NickName          wxString `json:"NickName"`
	Alias             val      `json:"Alias"`
	Sex               val      `json:"Sex"`
	Province          val      `json:"Province"`
	City              val      `json:"City"`
	Signature         val      `json:"Signature"`
	BigHeadImgURL     val      `json:"BigHeadImgUrl"`
	SmallHeadImgURL   val      `json:"SmallHeadImgUrl"`
	BitMask           val      `json:"BitMask"`
	ChatRoomNotify    val      `json:"ChatRoomNotify"`
	AddContactScene   val      `json:"AddContactScene"`
	ChatRoomOwner     val      `json:"ChatRoomOwner"`
	ChatroomStatus    val      `json:"ChatroomStatus"`
	DeleteContactScen val      `json:"DeleteContactScen"` // sic: the vendor's spelling
}

// geweBuf is GeWe's ImgBuf: an inline base64 thumbnail (images) or voice.
type geweBuf struct {
	ILen   val `json:"iLen"`
	Buffer val `json:"buffer"`
}
