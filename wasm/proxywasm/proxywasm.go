// Package proxywasm is the guest side of the proxy-wasm ABI, version 0.2.1
// (github.com/proxy-wasm/spec, abi-versions/v0.2.1), for modules built with
// the standard Go toolchain:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared
//
// It implements only what an HTTP request filter needs: plugin (root) and
// stream contexts, plugin configuration, request headers, the request body,
// local replies, properties and logging. Response callbacks, timers, HTTP and
// gRPC calls, shared data and metrics are not exported or imported at all,
// so a host never calls into code that does not exist.
//
// A module registers its plugin with SetNewPlugin from an init function. The
// package exports the proxy_on_* callbacks with //go:wasmexport and imports
// the host's functions with //go:wasmimport env proxy_*; which ones, and how
// Envoy (proxy-wasm-cpp-host) calls them, is written down in
// wasm/filter/README.md.
//
// Memory the host hands to the module (header values, body bytes, the plugin
// configuration) is allocated through proxy_on_memory_allocate from an arena
// that is reset at the start of every callback: a []byte returned by this
// package is valid only until the callback that obtained it returns. Copy it
// to keep it. The arena only grows, so in steady state no callback allocates
// on the Go heap from inside proxy_on_memory_allocate, where Envoy allows only
// a few host calls (a garbage collection there would need poll_oneoff, which
// older Envoy releases refuse).
//
// Outside wasip1 the package builds, so code using it can be vetted and unit
// tested natively, but every host call returns StatusUnimplemented.
package proxywasm

import "strconv"

// Action is what a stream callback tells the host to do with the request.
type Action uint32

const (
	// Continue passes the headers or the body chunk on.
	Continue Action = 0
	// Pause stops iteration. From on_request_body it makes Envoy buffer the
	// body (StopIterationAndBuffer) and call again with the whole buffered
	// body when more arrives. From on_request_headers Envoy treats it as
	// StopAllIterationAndWatermark — no body callbacks until the stream is
	// continued — unless the plugin sets allow_on_headers_stop_iteration
	// (Envoy 1.35 and later), which keeps the body callbacks coming.
	Pause Action = 1
)

// Status is a proxy_status_t returned by every host function.
type Status uint32

// The statuses of ABI 0.2.1.
const (
	StatusOK                  Status = 0
	StatusNotFound            Status = 1
	StatusBadArgument         Status = 2
	StatusSerializationFailed Status = 3
	StatusParseFailure        Status = 4
	StatusInvalidMemoryAccess Status = 6
	StatusEmpty               Status = 7
	StatusCASMismatch         Status = 8
	StatusInternalFailure     Status = 10
	StatusUnimplemented       Status = 12
)

var statusNames = map[Status]string{
	StatusOK: "ok", StatusNotFound: "not_found", StatusBadArgument: "bad_argument",
	StatusSerializationFailed: "serialization_failure", StatusParseFailure: "parse_failure",
	StatusInvalidMemoryAccess: "invalid_memory_access", StatusEmpty: "empty",
	StatusCASMismatch: "cas_mismatch", StatusInternalFailure: "internal_failure",
	StatusUnimplemented: "unimplemented",
}

// String returns the status's name in the spec, or its number.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "status " + strconv.FormatUint(uint64(s), 10)
}

// Error makes a non-OK Status usable as an error.
func (s Status) Error() string { return "proxy-wasm host: " + s.String() }

// err returns nil for StatusOK and the Status otherwise.
func (s Status) err() error {
	if s == StatusOK {
		return nil
	}
	return s
}

// LogLevel is a proxy_log_level_t.
type LogLevel uint32

// The log levels of ABI 0.2.1.
const (
	LogTrace LogLevel = iota
	LogDebug
	LogInfo
	LogWarn
	LogError
	LogCritical
)

// MapType is a proxy_map_type_t. Only request headers are used here.
type MapType uint32

// RequestHeaders is the map of the request's headers (pseudo-headers
// included: ":method", ":path", ":authority", ":scheme").
const RequestHeaders MapType = 0

// BufferType is a proxy_buffer_type_t.
type BufferType uint32

// The buffers this package reads or writes.
const (
	RequestBody         BufferType = 0
	VMConfiguration     BufferType = 6
	PluginConfiguration BufferType = 7
)

// Plugin is one plugin (root) context: one per plugin configuration that
// uses the VM. Envoy may run several plugins in one VM (same vm_config), each
// with its own root context and configuration.
type Plugin interface {
	// Configure receives the plugin configuration (valid only during the
	// call). Returning an error fails proxy_on_configure: the error is logged
	// at LogError and the host refuses the plugin.
	Configure(config []byte) error
	// NewStream returns the state of a new HTTP stream. The package keeps it
	// until the host deletes the context; Plugin may recycle it then.
	NewStream(id uint32) Stream
}

// Stream handles the request side of one HTTP stream.
type Stream interface {
	// OnRequestHeaders is proxy_on_request_headers: numHeaders headers are
	// available; endOfStream reports a request without a body.
	OnRequestHeaders(numHeaders int, endOfStream bool) Action
	// OnRequestBody is proxy_on_request_body: size is the number of body
	// bytes available now (all buffered bytes while the body is paused).
	OnRequestBody(size int, endOfStream bool) Action
	// OnRequestTrailers is proxy_on_request_trailers: the request ends with
	// trailers, so OnRequestBody never saw endOfStream; the buffered body is
	// still readable.
	OnRequestTrailers(numTrailers int) Action
	// OnDone is called once when the host deletes the context
	// (proxy_on_delete); the Stream must not be used after it.
	OnDone()
}
