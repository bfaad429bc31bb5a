package proxytest

import (
	"errors"
	"fmt"
	"strings"
)

// HeadersStatus is Envoy's FilterHeadersStatus after proxy-wasm-cpp-host's
// conversion of the module's answer.
type HeadersStatus uint32

// The statuses a Wasm filter can produce for headers.
const (
	HeadersContinue                     HeadersStatus = 0
	HeadersStopIteration                HeadersStatus = 1
	HeadersStopAllIterationAndBuffer    HeadersStatus = 3
	HeadersStopAllIterationAndWatermark HeadersStatus = 4
)

// DataStatus is Envoy's FilterDataStatus after the conversion.
type DataStatus uint32

// The statuses for body data.
const (
	DataContinue                  DataStatus = 0
	DataStopIterationAndBuffer    DataStatus = 1
	DataStopIterationAndWatermark DataStatus = 2
	DataStopIterationNoBuffer     DataStatus = 3
)

// ErrStalled is returned for body data sent to a stream whose headers
// callback stopped all iteration: Envoy buffers such data without calling
// the filter, and the request waits until the filter continues it (or a
// timeout). A filter that never calls proxy_continue_stream hangs there.
var ErrStalled = errors.New("proxytest: stream stopped all iteration in on_request_headers; Envoy does not call on_request_body")

// ErrFinished is returned for data sent after the stream ended (a local
// reply was sent).
var ErrFinished = errors.New("proxytest: stream already finished (local reply sent)")

// LocalReply is a response sent with proxy_send_local_response.
type LocalReply struct {
	Status  uint32
	Details string
	Body    []byte
	Headers [][2]string
	GRPC    uint32
}

// Upstream is what the filter let through toward the upstream.
type Upstream struct {
	HeadersSent bool
	Headers     [][2]string // as they left the filter
	Body        []byte
	EndStream   bool
	Trailers    [][2]string
	// Reset is set when a local reply ended a stream whose headers had
	// already gone upstream: Envoy resets the upstream request.
	Reset bool
}

// Stream is an HTTP stream through one Wasm filter, with Envoy's filter
// manager around it.
type Stream struct {
	vm     *VM
	plugin *Plugin
	ID     uint32

	headers      [][2]string // the request header map while the filter may see it
	headersAvail bool        // request_headers_ is set (not after a Continue)
	headersHeld  bool        // StopIteration: headers wait for the body
	stalled      bool        // StopAll*: no more callbacks
	inBody       bool        // during on_request_body / on_request_trailers
	buffering    bool        // the last body callback returned StopIterationAndBuffer
	buffered     []byte      // Envoy's decoding buffer
	chunk        []byte      // the current chunk when not buffering
	bodyRef      *[]byte     // what HTTP_REQUEST_BODY refers to during a body callback
	finished     bool
	created      bool

	Upstream          Upstream
	LocalReply        *LocalReply
	FilterState       map[string]string // proxy_set_property: "wasm." + path
	RouteCacheCleared int
	DoneResult        uint64
}

// NewStream creates a stream context of plugin p. Like Envoy, the host calls
// proxy_on_context_create only when the request headers arrive.
func (p *Plugin) NewStream() *Stream {
	s := &Stream{vm: p.vm, plugin: p, ID: p.vm.nextID, FilterState: map[string]string{}}
	p.vm.nextID++
	return s
}

func (s *Stream) enter() { s.vm.curStream, s.vm.curPlugin, s.vm.stopNext = s, s.plugin, false }
func (s *Stream) leave() { s.vm.curStream, s.vm.curPlugin = nil, nil }

// failStream is what Envoy does with a stream of a failed VM: a 503 local
// reply (fail closed).
func (s *Stream) failStream() {
	if s.LocalReply == nil {
		s.LocalReply = &LocalReply{Status: 503, Details: "wasm_fail_stream"}
	}
	s.finish()
}

func (s *Stream) finish() {
	s.finished = true
	if s.Upstream.HeadersSent && !s.Upstream.EndStream {
		s.Upstream.Reset = true
	}
}

// RequestHeaders delivers the request headers (names lower case, pseudo
// headers first). endOfStream marks a request without body.
func (s *Stream) RequestHeaders(headers [][2]string, endOfStream bool) (HeadersStatus, error) {
	if s.finished {
		return 0, ErrFinished
	}
	s.headers = append([][2]string(nil), headers...)
	s.headersAvail = true
	s.enter()
	defer s.leave()
	if !s.created {
		s.created = true
		if _, err := s.vm.call("proxy_on_context_create", uint64(s.ID), uint64(s.plugin.ID)); err != nil && err != errMissing {
			s.failStream()
			return HeadersStopAllIterationAndWatermark, err
		}
	}
	r, err := s.vm.call("proxy_on_request_headers", uint64(s.ID), uint64(len(headers)), b2u(endOfStream))
	if err == errMissing {
		r, err = 0, nil
	}
	if err != nil {
		s.failStream()
		return HeadersStopAllIterationAndWatermark, err
	}
	st := HeadersStatus(r)
	switch {
	case s.vm.stopNext || r > uint64(HeadersStopAllIterationAndWatermark):
		st = HeadersStopAllIterationAndWatermark
	case st == HeadersStopIteration && !s.vm.m.opts.AllowOnHeadersStopIteration:
		st = HeadersStopAllIterationAndWatermark
	case st == 2: // ContinueAndDontEndStream is not a Wasm status; Envoy passes it through
	}
	if s.LocalReply != nil {
		s.finish()
		return st, nil
	}
	switch st {
	case HeadersContinue:
		s.sendHeaders(endOfStream)
	case HeadersStopIteration:
		s.headersHeld = true
	default:
		s.stalled = true
	}
	return st, nil
}

func (s *Stream) sendHeaders(endOfStream bool) {
	s.Upstream.HeadersSent = true
	s.Upstream.Headers = append([][2]string(nil), s.headers...)
	s.Upstream.EndStream = endOfStream
	s.headersAvail, s.headersHeld = false, false
}

// RequestBody delivers a chunk of the request body.
func (s *Stream) RequestBody(chunk []byte, endOfStream bool) (DataStatus, error) {
	if s.finished {
		return 0, ErrFinished
	}
	if !s.created {
		return 0, errors.New("proxytest: body before headers")
	}
	if s.stalled {
		s.buffered = append(s.buffered, chunk...)
		return DataStopIterationAndBuffer, ErrStalled
	}
	if s.buffering {
		if lim := s.vm.m.opts.BufferLimit; lim > 0 && len(s.buffered)+len(chunk) > lim {
			// Envoy's own answer once a buffering filter's data exceeds the
			// buffer limit; the filter is not called again.
			s.LocalReply = &LocalReply{Status: 413, Details: "request_payload_too_large", Body: []byte("Payload Too Large")}
			s.finish()
			return DataStopIterationAndBuffer, nil
		}
		s.buffered = append(s.buffered, chunk...)
		s.bodyRef = &s.buffered
	} else {
		s.chunk = append(s.chunk[:0], chunk...)
		s.bodyRef = &s.chunk
	}
	s.enter()
	s.inBody = true
	r, err := s.vm.call("proxy_on_request_body", uint64(s.ID), uint64(len(*s.bodyRef)), b2u(endOfStream))
	s.inBody = false
	s.leave()
	if err == errMissing {
		r, err = 0, nil
	}
	if err != nil {
		s.failStream()
		return DataStopIterationNoBuffer, err
	}
	st := DataStatus(r)
	if s.vm.stopNext || r > uint64(DataStopIterationNoBuffer) {
		st = DataStopIterationNoBuffer
	}
	if s.LocalReply != nil {
		s.finish()
		return st, nil
	}
	switch st {
	case DataContinue:
		if s.headersHeld || !s.Upstream.HeadersSent {
			s.sendHeaders(false)
		}
		s.Upstream.Body = append(s.Upstream.Body, (*s.bodyRef)...)
		s.Upstream.EndStream = endOfStream
		s.buffered, s.buffering = s.buffered[:0], false
	case DataStopIterationAndBuffer, DataStopIterationAndWatermark:
		if !s.buffering {
			s.buffered = append(s.buffered[:0], s.chunk...)
		}
		s.buffering = true
	case DataStopIterationNoBuffer:
		// The chunk stays where it is; Envoy neither buffers nor forwards.
	}
	s.bodyRef = nil
	return st, nil
}

// RequestTrailers delivers request trailers, which end the request.
func (s *Stream) RequestTrailers(trailers [][2]string) (uint32, error) {
	if s.finished {
		return 0, ErrFinished
	}
	if s.stalled {
		return 1, ErrStalled
	}
	s.enter()
	s.inBody = true
	s.bodyRef = &s.buffered
	r, err := s.vm.call("proxy_on_request_trailers", uint64(s.ID), uint64(len(trailers)))
	s.inBody = false
	s.bodyRef = nil
	s.leave()
	if err == errMissing {
		r, err = 0, nil
	}
	if err != nil {
		s.failStream()
		return 1, err
	}
	if s.vm.stopNext || r > 1 {
		r = 1
	}
	if s.LocalReply != nil {
		s.finish()
		return uint32(r), nil
	}
	if r == 0 {
		if s.headersHeld || !s.Upstream.HeadersSent {
			s.sendHeaders(false)
		}
		s.Upstream.Body = append(s.Upstream.Body, s.buffered...)
		s.buffered, s.buffering = s.buffered[:0], false
		s.Upstream.Trailers = append([][2]string(nil), trailers...)
		s.Upstream.EndStream = true
	}
	return uint32(r), nil
}

// Destroy ends the stream as Envoy's filter onDestroy does:
// proxy_on_done, then proxy_on_delete (only if the context was created).
func (s *Stream) Destroy() error {
	if !s.created || s.vm.failed != nil {
		return s.vm.failed
	}
	s.enter()
	defer s.leave()
	r, err := s.vm.call("proxy_on_done", uint64(s.ID))
	if err != nil && err != errMissing {
		return err
	}
	s.DoneResult = r
	if _, err := s.vm.call("proxy_on_delete", uint64(s.ID)); err != nil && err != errMissing {
		return err
	}
	s.created = false
	return nil
}

// Send runs a whole POST-like request through the filter: headers, the
// body in the given chunks (the last one with end of stream), then Destroy.
// It stops early when the filter ends the stream.
func (s *Stream) Send(headers [][2]string, chunks ...[]byte) error {
	if _, err := s.RequestHeaders(headers, len(chunks) == 0); err != nil {
		return err
	}
	for i, c := range chunks {
		if s.finished {
			break
		}
		if _, err := s.RequestBody(c, i == len(chunks)-1); err != nil {
			return err
		}
	}
	return s.Destroy()
}

// Header returns the value of header name as the upstream received it.
func (u *Upstream) Header(name string) (string, bool) {
	for _, h := range u.Headers {
		if h[0] == name {
			return h[1], true
		}
	}
	return "", false
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func lower(s string) string { return strings.ToLower(s) }

func (s *Stream) String() string { return fmt.Sprintf("stream %d", s.ID) }
