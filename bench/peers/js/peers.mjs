// peers.mjs: the JS peers of the wxhook peers benchmark (README.md next to
// this directory). Each takes the callback body as a string (what a worker's
// request.text() gives), pulls the fields of wxhook's canonical event for
// the four benchmark payloads and returns the event as a JSON string.
//
//   lossy: JSON.parse as is. eyun's newMsgId exceeds 2^53 and comes out
//          rounded (769189154845429899 -> 769189154845429900): its id and
//          dedup_key are wrong, the price of the fastest path.
//   exact: the same after a pre-pass that quotes the integer values of the
//          id keys (newMsgId, msgId, id) with a regular expression, so
//          JSON.parse keeps their digits.
// XML content (eyun image, link) goes through fast-xml-parser, one parser
// reused across calls.
import { XMLParser } from "fast-xml-parser";

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
});

const idKeys = /"(newMsgId|msgId|id)"(\s*:\s*)(-?\d+)/g;

function exactParse(s) {
  return JSON.parse(s.replace(idKeys, '"$1"$2"$3"'));
}

function wecom(src, parse) {
  const { seq, token, message: m } = parse(src);
  if (m.type !== "Text") throw new Error(`peers: wecom type ${m.type} not covered`);
  const id = String(m.id);
  const room = m.room_id ?? "";
  const to = m.to_id ?? "";
  return JSON.stringify({
    vendor: "wecom", kind: "text", chat: room ? "group" : "private", id,
    dedup_key: `wecom:${m.from_id}:${room || to}:${id}:${m.timestamp}`,
    time: Number(m.timestamp) * 1000, account: "", from: m.from_id, to, room, self: false,
    text: m.text, mentions: [],
    wecom: { seq, token, remote_id: m.remote_id, type: m.type },
  });
}

function eyun(src, parse) {
  const b = parse(src);
  const d = b.data;
  const id = String(d.newMsgId);
  const room = d.fromGroup ?? "";
  const e = {
    vendor: "eyun", kind: "", chat: room ? "group" : "private", id,
    dedup_key: `eyun:${b.wcId}:${id}:${d.timestamp}`,
    time: d.timestamp * 1000, account: b.wcId, from: d.fromUser, to: d.toUser, room,
    self: d.self === true, text: "", mentions: [],
  };
  const ext = { wc_id: b.wcId, account: b.account, w_id: d.wId, msg_id: String(d.msgId), message_type: b.messageType };
  let content = d.content;
  if (room) {
    // Group content starts "sender:\n".
    const i = content.indexOf(":\n");
    if (i >= 0 && !/[<\n]/.test(content.slice(0, i))) content = content.slice(i + 2);
  }
  const t = d.msgType ?? 0;
  if (t === 0 || t === 1) {
    if (b.messageType !== 5 && b.messageType !== 9) throw new Error(`peers: eyun messageType ${b.messageType} not covered`);
    e.kind = "text";
    e.text = content;
  } else if (t === 3) {
    const i = xml.parse(content).msg.img;
    e.kind = "image";
    e.media = {
      url: i.cdnmidimgurl, hd_url: i.cdnbigimgurl, aes_key: i.aeskey, md5: i.md5,
      size: Number(i.length), hd_size: Number(i.hdlength), encrypt: Number(i.encryver),
      thumb: {
        url: i.cdnthumburl, aes_key: i.cdnthumbaeskey, size: Number(i.cdnthumblength),
        width: Number(i.cdnthumbwidth), height: Number(i.cdnthumbheight), data: d.img,
      },
    };
    ext.msg_type = t;
  } else if (t === 49) {
    const a = xml.parse(content).msg.appmsg;
    const at = Number(a.type);
    if (at !== 5) throw new Error(`peers: eyun appmsg type ${a.type} not covered`);
    e.kind = "link";
    e.link = { title: a.title, desc: a.des, url: a.url, thumb_url: a.thumburl, source: a.sourcedisplayname, app_id: a.appid };
    ext.msg_type = t;
    ext.appmsg_type = at;
  } else {
    throw new Error(`peers: eyun msgType ${t} not covered`);
  }
  e.eyun = ext;
  return JSON.stringify(e);
}

// peers[variant][dialect](src string) -> event JSON string
export const peers = {
  lossy: { wecom: (s) => wecom(s, JSON.parse), eyun: (s) => eyun(s, JSON.parse) },
  exact: { wecom: (s) => wecom(s, exactParse), eyun: (s) => eyun(s, exactParse) },
};
