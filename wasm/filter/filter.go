package main

import (
	"strconv"
	"unsafe"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/wasm/proxywasm"
)

func init() {
	proxywasm.SetNewPlugin(func(uint32) proxywasm.Plugin { return &plugin{} })
}

// The names the filter publishes. Properties land in Envoy's filter state
// as "wasm." + name.
const (
	propVendor = "wxhook.vendor"
	propKind   = "wxhook.kind"
	propChat   = "wxhook.chat"
	propDedup  = "wxhook.dedup_key"
	propError  = "wxhook.error"

	hdrVendor = "x-wxhook-vendor"
	hdrKind   = "x-wxhook-kind"
	hdrChat   = "x-wxhook-chat"
	hdrDedup  = "x-wxhook-dedup-key"
	hdrError  = "x-wxhook-error"
)

// Shared by every stream of the VM: a wasm instance runs one callback at a
// time and a decode never spans two callbacks, so one Decoder and one output
// buffer serve them all, and a request allocates nothing once they have
// grown.
var (
	dec    decoder.Decoder
	out    []byte
	numBuf []byte
)

// plugin is one root context: its configuration and a free list of streams.
type plugin struct {
	cfg  *config
	free []*stream
}

func (p *plugin) Configure(b []byte) error {
	c, err := parseConfig(b)
	if err != nil {
		return err
	}
	p.cfg = c
	// The body, the header values and the configuration come through the
	// arena: size it now for the largest body.
	proxywasm.Reserve(c.maxBody + 64<<10)
	return nil
}

func (p *plugin) NewStream(uint32) proxywasm.Stream {
	var s *stream
	if n := len(p.free); n > 0 {
		s, p.free = p.free[n-1], p.free[:n-1]
	} else {
		s = new(stream)
	}
	*s = stream{p: p, cfg: p.cfg}
	return s
}

// stream is the state of one request. The configuration is the one in force
// when the request started.
type stream struct {
	p       *plugin
	cfg     *config
	active  bool // a POST with a body on a selected path, not finished
	held    bool // on_request_headers returned Pause: headers still modifiable
	dialect decoder.Dialect
}

func (s *stream) OnDone() {
	s.cfg = nil
	s.p.free = append(s.p.free, s)
}

func (s *stream) OnRequestHeaders(_ int, endOfStream bool) proxywasm.Action {
	c := s.cfg
	if c == nil || endOfStream {
		return proxywasm.Continue
	}
	method, ok, err := proxywasm.RequestHeader(":method")
	if err != nil || !ok || string(method) != "POST" {
		return proxywasm.Continue
	}
	path, _, err := proxywasm.RequestHeader(":path")
	if err != nil {
		return proxywasm.Continue
	}
	d, ok := c.match(path)
	if !ok {
		return proxywasm.Continue
	}
	s.dialect = d
	// A declared length over the limit is refused before any body arrives.
	if cl, ok, _ := proxywasm.RequestHeader("content-length"); ok {
		if n, err := strconv.ParseUint(unsafe.String(unsafe.SliceData(cl), len(cl)), 10, 64); err == nil && n > uint64(c.maxBody) {
			s.tooLarge()
			return proxywasm.Pause
		}
	}
	s.active = true
	if c.holdHeaders {
		// Envoy >= 1.35 with allow_on_headers_stop_iteration: headers wait
		// here while the body is buffered, and are finished at its end.
		s.held = true
		return proxywasm.Pause
	}
	if c.mode == modeNormalize {
		// The headers leave now, before the body is known: drop the length
		// so the body can change (Envoy then frames it itself: chunked on
		// HTTP/1.1), and declare what the body will be on success.
		if proxywasm.RemoveRequestHeader("content-length") != nil ||
			proxywasm.SetRequestHeader("content-type", "application/json") != nil {
			proxywasm.LogString(proxywasm.LogError, "wxhook: cannot change the request headers; passing the request on")
			s.active = false
		}
	}
	return proxywasm.Continue
}

func (s *stream) OnRequestBody(size int, endOfStream bool) proxywasm.Action {
	if !s.active {
		return proxywasm.Continue
	}
	if size > s.cfg.maxBody {
		s.tooLarge()
		return proxywasm.Pause
	}
	if !endOfStream {
		// Envoy buffers (StopIterationAndBuffer) and calls again with the
		// whole buffered body as more arrives.
		return proxywasm.Pause
	}
	return s.finish(size)
}

func (s *stream) OnRequestTrailers(int) proxywasm.Action {
	if !s.active {
		return proxywasm.Continue
	}
	// The body ended without end_of_stream: it is whatever is buffered.
	body, err := proxywasm.GetBuffer(proxywasm.RequestBody, 0, s.cfg.maxBody+1)
	if err != nil {
		return s.internal("reading the buffered body at the trailers", err)
	}
	if len(body) > s.cfg.maxBody {
		s.tooLarge()
		return proxywasm.Pause
	}
	return s.finish(len(body))
}

// finish decodes the complete body of size bytes and acts on the result.
func (s *stream) finish(size int) proxywasm.Action {
	s.active = false
	c := s.cfg
	var body []byte
	if size > 0 {
		b, err := proxywasm.GetBuffer(proxywasm.RequestBody, 0, size)
		if err != nil {
			return s.internal("reading the body", err)
		}
		body = b
	}
	js, meta, err := dec.AppendDecode(out[:0], body, s.dialect)
	if err != nil {
		out = js[:0]
		return s.rejected(err)
	}
	out = js
	vendor, kind, chat := meta.Vendor.String(), meta.Kind.String(), chatOf(js, meta)
	dedup := unsafe.String(unsafe.SliceData(meta.DedupKey), len(meta.DedupKey))
	if c.mode == modeNormalize {
		if err := proxywasm.ReplaceRequestBody(js, size); err != nil {
			return s.internal("replacing the body", err)
		}
	}
	setProperty(propVendor, vendor)
	setProperty(propKind, kind)
	setProperty(propChat, chat)
	setProperty(propDedup, dedup)
	if s.held {
		if c.mode == modeNormalize {
			numBuf = strconv.AppendInt(numBuf[:0], int64(len(js)), 10)
			setHeader("content-length", unsafe.String(unsafe.SliceData(numBuf), len(numBuf)))
			setHeader("content-type", "application/json")
		}
		setHeader(hdrVendor, vendor)
		setHeader(hdrKind, kind)
		setHeader(hdrChat, chat)
		setHeader(hdrDedup, dedup)
		clearRouteCache()
	}
	return proxywasm.Continue
}

// rejected handles a body the decoder refused: a 400 with the canonical
// error JSON, or (on_error "pass") the body passed on, marked.
func (s *stream) rejected(err error) proxywasm.Action {
	e, ok := err.(*decoder.Error)
	if !ok {
		e = decoder.NewError(decoder.CodeInternal, s.dialect, err.Error())
	}
	setProperty(propError, string(e.Code))
	if s.cfg.passInvalid {
		if s.held {
			setHeader(hdrError, string(e.Code))
			clearRouteCache()
		}
		return proxywasm.Continue
	}
	proxywasm.LogString(proxywasm.LogDebug, "wxhook: rejected callback: "+e.Error())
	s.reply(400, "wxhook_rejected", e)
	return proxywasm.Pause
}

// tooLarge answers 413 with the canonical error JSON of code too_large.
func (s *stream) tooLarge() {
	s.active = false
	setProperty(propError, string(decoder.CodeTooLarge))
	s.reply(413, "wxhook_body_too_large", &decoder.Error{
		Code: decoder.CodeTooLarge, Vendor: s.dialect, Offset: s.cfg.maxBody,
		Detail: "callback body exceeds the filter's max_body of " + strconv.Itoa(s.cfg.maxBody) + " bytes",
	})
}

// internal fails the request closed when the host refuses an operation the
// filter needs (a host bug or an Envoy configuration it cannot work with).
func (s *stream) internal(what string, err error) proxywasm.Action {
	s.active = false
	proxywasm.LogString(proxywasm.LogError, "wxhook: "+what+": "+err.Error())
	setProperty(propError, string(decoder.CodeInternal))
	s.reply(500, "wxhook_internal", decoder.NewError(decoder.CodeInternal, s.dialect, what+": "+err.Error()))
	return proxywasm.Pause
}

var jsonHeaders = [][2]string{{"content-type", "application/json"}}

func (s *stream) reply(status int, details string, e *decoder.Error) {
	if err := proxywasm.SendLocalResponse(status, details, e.AppendJSON(nil), jsonHeaders); err != nil {
		proxywasm.LogString(proxywasm.LogError, "wxhook: sending the local reply: "+err.Error())
	}
}

func setProperty(name, value string) {
	if err := proxywasm.SetProperty(name, value); err != nil {
		proxywasm.LogString(proxywasm.LogWarn, "wxhook: setting property "+name+": "+err.Error())
	}
}

func setHeader(name, value string) {
	if err := proxywasm.SetRequestHeader(name, value); err != nil {
		proxywasm.LogString(proxywasm.LogWarn, "wxhook: setting header "+name+": "+err.Error())
	}
}

// clearRouteCache asks Envoy to pick the route again now that the headers
// carry the annotations. Hosts without the foreign function answer
// NOT_FOUND, which is fine: the headers are still there for the upstream.
func clearRouteCache() { _, _ = proxywasm.CallForeignFunction("clear_route_cache", nil) }

// chatOf reads the chat field of the canonical JSON js. Its place is fixed:
// the event starts {"vendor":…,"kind":…,"chat":…, and vendor and kind are
// known, so no search is needed.
func chatOf(js []byte, m decoder.Meta) string {
	i := len(`{"vendor":"`) + len(m.Vendor.String()) + len(`","kind":"`) + len(m.Kind.String()) + len(`","chat":"`)
	const head = `","chat":"`
	if i > len(js) || string(js[i-len(head):i]) != head {
		return ""
	}
	for j := i; j < len(js); j++ {
		if js[j] == '"' {
			switch string(js[i:j]) {
			case "private":
				return "private"
			case "group":
				return "group"
			}
			return ""
		}
	}
	return ""
}
