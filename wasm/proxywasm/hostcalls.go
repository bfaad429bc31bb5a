package proxywasm

import "unsafe"

// retPtr and retSize receive the address and size the host writes back.
// Locals passed by address to a //go:wasmimport function are moved to the
// heap; these package variables are not, and a wasm instance runs one call
// at a time.
var retPtr, retSize uint32

// The host functions, wrapped. Each returns the host's Status as an error
// (nil for StatusOK). Byte slices returned live in the arena: valid until the
// current callback returns.

// Reserve makes the allocator's arena hold at least n bytes, so that the
// host's first request for that much memory (a body of n bytes) is served
// without allocating inside proxy_on_memory_allocate, where Envoy allows
// almost no host calls. Call it from Plugin.Configure.
func Reserve(n int) {
	if n > len(mem.buf) && n <= maxAlloc {
		mem.buf = make([]byte, alignUp(n))
		mem.used = 0
	}
}

// LogString logs s at level (proxy_log). Logging failures are ignored: there
// is nowhere else to report them.
func LogString(level LogLevel, s string) {
	rawLog(uint32(level), strPtr(s), uint32(len(s)))
}

// GetBuffer returns up to max bytes of buffer t from start
// (proxy_get_buffer_bytes). The host shortens the answer at the buffer's end.
// For an empty buffer Envoy answers OK without writing the address and size
// at all, so they are cleared first: left as they were, they would still
// point at the previous host call's answer (the arena keeps its bytes).
func GetBuffer(t BufferType, start, max int) ([]byte, error) {
	retPtr, retSize = 0, 0
	st := Status(rawGetBufferBytes(uint32(t), uint32(start), uint32(max), unsafe.Pointer(&retPtr), unsafe.Pointer(&retSize)))
	if st != StatusOK {
		return nil, st
	}
	b, ok := mem.slice(retPtr, retSize)
	if !ok {
		return nil, StatusInvalidMemoryAccess
	}
	return b, nil
}

// ReplaceRequestBody replaces the whole request body, of which size bytes
// are buffered now, with b (proxy_set_buffer_bytes with start 0 and the
// current size, which Envoy implements as "drain and add").
func ReplaceRequestBody(b []byte, size int) error {
	return Status(rawSetBufferBytes(uint32(RequestBody), 0, uint32(size), bytesPtr(b), uint32(len(b)))).err()
}

// RequestHeader returns the value of request header name (lower case), and
// false when the request has none (proxy_get_header_map_value). Envoy
// answers StatusBadArgument once the headers have been passed on.
func RequestHeader(name string) ([]byte, bool, error) {
	// Envoy always writes both words on OK; clearing them keeps a host that
	// does not (as for buffers) from handing back a stale value.
	retPtr, retSize = 0, 0
	st := Status(rawGetHeaderMapValue(uint32(RequestHeaders), strPtr(name), uint32(len(name)), unsafe.Pointer(&retPtr), unsafe.Pointer(&retSize)))
	switch st {
	case StatusOK:
	case StatusNotFound:
		return nil, false, nil
	default:
		return nil, false, st
	}
	b, ok := mem.slice(retPtr, retSize)
	if !ok {
		return nil, false, StatusInvalidMemoryAccess
	}
	return b, true, nil
}

// SetRequestHeader adds or replaces request header name
// (proxy_replace_header_map_value). Legal only while the headers are held:
// in on_request_headers, or later when that callback returned Pause.
func SetRequestHeader(name, value string) error {
	return Status(rawReplaceHeaderMapValue(uint32(RequestHeaders), strPtr(name), uint32(len(name)), strPtr(value), uint32(len(value)))).err()
}

// RemoveRequestHeader removes request header name
// (proxy_remove_header_map_value); removing an absent header is not an error.
func RemoveRequestHeader(name string) error {
	return Status(rawRemoveHeaderMapValue(uint32(RequestHeaders), strPtr(name), uint32(len(name)))).err()
}

// SendLocalResponse answers the request from the proxy
// (proxy_send_local_response) with status, body and extra headers; details
// is Envoy's response code details (%RESPONSE_CODE_DETAILS%), one token.
// The request is not sent on; Envoy sends the reply after the callback
// returns and stops the filter chain whatever the callback returns.
func SendLocalResponse(status int, details string, body []byte, headers [][2]string) error {
	pairsBuf = AppendPairs(pairsBuf[:0], headers)
	return Status(rawSendLocalResponse(uint32(status), strPtr(details), uint32(len(details)),
		bytesPtr(body), uint32(len(body)), bytesPtr(pairsBuf), uint32(len(pairsBuf)), grpcStatusNone)).err()
}

// grpcStatusNone tells Envoy not to add a grpc-status: SDKs pass -1.
const grpcStatusNone = 0xffffffff

// SetProperty sets property path to value (proxy_set_property). Envoy keeps
// it in the request's filter state under "wasm.<path>", readable by CEL
// expressions, access logs (%FILTER_STATE(wasm.<path>:PLAIN)%) and other Wasm
// filters.
func SetProperty(path, value string) error {
	return Status(rawSetProperty(strPtr(path), uint32(len(path)), strPtr(value), uint32(len(value)))).err()
}

// CallForeignFunction calls a function the host registered by name
// (proxy_call_foreign_function), e.g. Envoy's "clear_route_cache".
func CallForeignFunction(name string, args []byte) ([]byte, error) {
	retPtr, retSize = 0, 0
	st := Status(rawCallForeignFunction(strPtr(name), uint32(len(name)), bytesPtr(args), uint32(len(args)), unsafe.Pointer(&retPtr), unsafe.Pointer(&retSize)))
	if st != StatusOK {
		return nil, st
	}
	b, ok := mem.slice(retPtr, retSize)
	if !ok {
		return nil, StatusInvalidMemoryAccess
	}
	return b, nil
}

// AppendPairs appends the serialized form of a header map (spec:
// "Serialization"): the number of pairs, then the lengths of each key and
// value, then each key and value followed by a NUL byte, integers as 32-bit
// little endian. An empty map is serialized as nothing.
func AppendPairs(dst []byte, pairs [][2]string) []byte {
	if len(pairs) == 0 {
		return dst
	}
	dst = appendU32(dst, uint32(len(pairs)))
	for _, p := range pairs {
		dst = appendU32(dst, uint32(len(p[0])))
		dst = appendU32(dst, uint32(len(p[1])))
	}
	for _, p := range pairs {
		dst = append(dst, p[0]...)
		dst = append(dst, 0)
		dst = append(dst, p[1]...)
		dst = append(dst, 0)
	}
	return dst
}

func appendU32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

func strPtr(s string) unsafe.Pointer {
	if s == "" {
		return nil
	}
	return unsafe.Pointer(unsafe.StringData(s))
}

func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(b))
}
