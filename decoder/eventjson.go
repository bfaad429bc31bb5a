//go:build !easyjson_bootstrap

package decoder

import "github.com/mailru/easyjson/jwriter"

// writeEvent writes ev's canonical JSON: byte for byte what Event's
// generated MarshalEasyJSON writes (TestWriteEventMatchesGenerated compares
// them on the whole corpus and on an Event with every field set, and
// FuzzDecode on every input it tries). The Decoder's hot path uses it; the
// generated method stays Event's public MarshalEasyJSON and the reference.
//
// Why a hand-written top level: the generated code writes each top-level
// string (id, dedup key, account, from, to, room, text, mentions) with
// jwriter.String, a byte-at-a-time loop that decodes every rune of non-ASCII
// text, and it takes the Event by value (a copy of the whole struct per
// call). Those were 15% of a text event's instructions. Here the strings go
// through writeString (eight bytes per step) and are appended with their key
// in one step when they need no escaping. The kind-specific objects are still
// written by the generated functions (their numbers are easyjson's; each
// takes its own struct type, so a renumbering after a regeneration that
// pairs a function with the wrong field does not compile: giving another
// struct a custom marshaler renumbers them, and the fix is to pair each call
// again with the generated function whose parameter has that field's type).
//
// It also returns where the dedup key's and the account's values lie in the
// output (offsets from the start of the whole output, chunks included), so
// that AppendDecode fills Meta without searching the JSON it just wrote.
func writeEvent(w *jwriter.Writer, ev *Event) (pos eventPos) {
	o := objectWriter{w: w}
	o.name(`"vendor":`, ev.Vendor.String())
	o.name(`"kind":`, ev.Kind.String())
	o.name(`"chat":`, ev.Chat.String())
	o.field(`"id":`, ev.ID)
	pos.dedup = o.field(`"dedup_key":`, ev.DedupKey)
	o.key(`"time":`)
	w.Int64(ev.Time)
	pos.account = o.field(`"account":`, ev.Account)
	o.field(`"from":`, ev.From)
	o.field(`"to":`, ev.To)
	o.field(`"room":`, ev.Room)
	o.key(`"self":`)
	w.Bool(ev.Self)
	o.field(`"text":`, ev.Text)
	o.key(`"mentions":`)
	if ev.Mentions == nil && w.Flags&jwriter.NilSliceAsEmpty == 0 {
		w.RawString("null")
	} else {
		w.RawByte('[')
		for i, m := range ev.Mentions {
			if i > 0 {
				w.RawByte(',')
			}
			writeString(w, m)
		}
		w.RawByte(']')
	}
	o.str(`"from_name":`, ev.FromName)

	if ev.Media.IsDefined() {
		o.key(`"media":`)
		ev.Media.MarshalEasyJSON(w)
	}
	if ev.Location.IsDefined() {
		o.key(`"location":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder1(w, ev.Location)
	}
	if ev.Link.IsDefined() {
		o.key(`"link":`)
		ev.Link.MarshalEasyJSON(w)
	}
	if ev.MiniProgram.IsDefined() {
		o.key(`"mini_program":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder2(w, ev.MiniProgram)
	}
	if ev.Card.IsDefined() {
		o.key(`"card":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder3(w, ev.Card)
	}
	if ev.Quote.IsDefined() {
		o.key(`"quote":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder4(w, ev.Quote)
	}
	if ev.Transfer.IsDefined() {
		o.key(`"transfer":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder5(w, ev.Transfer)
	}
	if ev.RedPacket.IsDefined() {
		o.key(`"red_packet":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder6(w, ev.RedPacket)
	}
	if ev.History.IsDefined() {
		o.key(`"chat_history":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder7(w, ev.History)
	}
	if ev.Pat.IsDefined() {
		o.key(`"pat":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder8(w, ev.Pat)
	}
	if ev.Recall.IsDefined() {
		o.key(`"recall":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder9(w, ev.Recall)
	}
	if ev.Friend.IsDefined() {
		o.key(`"friend_request":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder10(w, ev.Friend)
	}
	if ev.RoomChange.IsDefined() {
		o.key(`"room_change":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder11(w, ev.RoomChange)
	}
	if ev.RoomInfo.IsDefined() {
		o.key(`"room_info":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder12(w, ev.RoomInfo)
	}
	if ev.Channels.IsDefined() {
		o.key(`"channels":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder13(w, ev.Channels)
	}
	if ev.Announce.IsDefined() {
		o.key(`"announcement":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder14(w, ev.Announce)
	}
	if ev.Todo.IsDefined() {
		o.key(`"todo":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder15(w, ev.Todo)
	}
	if ev.Call.IsDefined() {
		o.key(`"call":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder16(w, ev.Call)
	}
	if ev.Wecom.IsDefined() {
		o.key(`"wecom":`)
		ev.Wecom.MarshalEasyJSON(w)
	}
	if ev.Eyun.IsDefined() {
		o.key(`"eyun":`)
		ev.Eyun.MarshalEasyJSON(w)
	}
	if ev.DLL.IsDefined() {
		o.key(`"dll":`)
		ev.DLL.MarshalEasyJSON(w)
	}
	if ev.Gewe.IsDefined() {
		o.key(`"gewe":`)
		ev.Gewe.MarshalEasyJSON(w)
	}
	o.str(`"content":`, ev.Content)
	if ev.Problem.IsDefined() {
		o.key(`"problem":`)
		easyjsonF642ad3eEncodeGithubComWxhookWxhookDecoder17(w, ev.Problem)
	}
	if ev.Raw.IsDefined() {
		o.key(`"raw":`)
		ev.Raw.MarshalEasyJSON(w)
	}
	w.RawByte('}')
	return pos
}
