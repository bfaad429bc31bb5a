package proxytest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Status codes (proxy_status_t) and WASI errnos the host returns.
const (
	stOK            = 0
	stNotFound      = 1
	stBadArgument   = 2
	stInvalidMemory = 6

	errnoSuccess = 0
	errnoBadf    = 8
	errnoFault   = 21
	errnoInval   = 28
	errnoNoent   = 44
	errnoNosys   = 52
	errnoNotsup  = 58
)

type hostFunc struct {
	name string
	sig  sig
	fn   func(vm *VM, s []uint64)
}

func vmOf(ctx context.Context) *VM { return ctx.Value(vmKey{}).(*VM) }

// link instantiates the host modules "env" and "wasi_snapshot_preview1" in
// the module's runtime (once), exporting exactly the functions this host
// implements. The guest's imports are resolved against them when it is
// instantiated: a missing one, or one with another signature, fails it.
func (m *Module) link(ctx context.Context) error {
	if m.rt.Module("env") != nil {
		return nil
	}
	env := m.rt.NewHostModuleBuilder("env")
	for _, f := range envFuncs {
		addFunc(env, "env", f)
	}
	if _, err := env.Instantiate(ctx); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range m.opts.WASI {
		want[n] = true
	}
	wasi := m.rt.NewHostModuleBuilder("wasi_snapshot_preview1")
	for _, f := range wasiFuncs {
		if m.opts.WASI == nil || want[f.name] {
			addFunc(wasi, "wasi_snapshot_preview1", f)
		}
	}
	_, err := wasi.Instantiate(ctx)
	return err
}

// addFunc exports f, wrapped in the restriction check: while a restricted
// phase is on, a call outside its list traps, as Envoy's
// "restricted_callback" trap does.
func addFunc(b wazero.HostModuleBuilder, module string, f hostFunc) {
	full := module + "." + f.name
	fn := f.fn
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		vm := vmOf(ctx)
		if vm.restricted != nil && !vm.restricted[full] {
			phase := "_initialize"
			if vm.inMalloc {
				phase = "the allocator"
			}
			panic(fmt.Errorf("restricted_callback: %s called during %s", full, phase))
		}
		fn(vm, stack)
	}), f.sig.params, f.sig.results).Export(f.name)
}

func u32(v uint64) uint32 { return uint32(v) }

// WASIFunctions lists the wasi_snapshot_preview1 functions the host
// implements, with proxy-wasm-cpp-host's behaviour.
func WASIFunctions() []string {
	out := make([]string, len(wasiFuncs))
	for i, f := range wasiFuncs {
		out[i] = f.name
	}
	return out
}

var wasiFuncs = []hostFunc{
	{"args_sizes_get", w(2, 1), func(vm *VM, s []uint64) {
		s[0] = wordsOut(vm, errnoFault, [2]uint32{u32(s[0]), 0}, [2]uint32{u32(s[1]), 0})
	}},
	{"args_get", w(2, 1), func(vm *VM, s []uint64) { s[0] = errnoSuccess }},
	{"environ_sizes_get", w(2, 1), func(vm *VM, s []uint64) {
		s[0] = wordsOut(vm, errnoFault, [2]uint32{u32(s[0]), 0}, [2]uint32{u32(s[1]), 0})
	}},
	{"environ_get", w(2, 1), func(vm *VM, s []uint64) { s[0] = errnoSuccess }},
	{"clock_time_get", sig{[]api.ValueType{i32, api.ValueTypeI64, i32}, words(1)}, func(vm *VM, s []uint64) {
		var t uint64
		switch u32(s[0]) {
		case 0:
			t = uint64(time.Now().UnixNano())
		case 1:
			t = uint64(time.Since(processStart).Nanoseconds()) + 1
		default:
			s[0] = errnoNotsup
			return
		}
		if !vm.mem.WriteUint64Le(u32(s[2]), t) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}},
	{"clock_res_get", w(2, 1), func(vm *VM, s []uint64) {
		if u32(s[0]) > 1 {
			s[0] = errnoNotsup
			return
		}
		if !vm.mem.WriteUint64Le(u32(s[1]), 1) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}},
	{"fd_write", w(4, 1), func(vm *VM, s []uint64) {
		fd, iovs, n, nw := u32(s[0]), u32(s[1]), u32(s[2]), u32(s[3])
		var level uint32
		switch fd {
		case 1:
			level = 2
		case 2:
			level = 4
		default:
			s[0] = errnoBadf
			return
		}
		var sb strings.Builder
		for i := uint32(0); i < n; i++ {
			iov, ok := vm.mem.Read(iovs+8*i, 8)
			if !ok {
				s[0] = errnoFault
				return
			}
			b, ok := vm.mem.Read(binary.LittleEndian.Uint32(iov), binary.LittleEndian.Uint32(iov[4:]))
			if !ok {
				s[0] = errnoFault
				return
			}
			sb.Write(b)
		}
		msg := sb.String()
		written := len(msg)
		if written > 0 {
			vm.Logs = append(vm.Logs, LogEntry{level, strings.TrimSuffix(msg, "\n")})
		}
		if !vm.mem.WriteUint32Le(nw, uint32(written)) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}},
	{"fd_read", w(4, 1), func(vm *VM, s []uint64) { s[0] = errnoNosys }},
	{"fd_seek", sig{[]api.ValueType{i32, api.ValueTypeI64, i32, i32}, words(1)}, func(vm *VM, s []uint64) { s[0] = errnoSuccess }},
	{"fd_close", w(1, 1), func(vm *VM, s []uint64) { s[0] = errnoSuccess }},
	{"fd_fdstat_get", w(2, 1), func(vm *VM, s []uint64) {
		if fd := u32(s[0]); fd != 1 && fd != 2 {
			s[0] = errnoBadf
			return
		}
		var st [24]byte
		st[8] = 64 // fs_rights_base: FD_WRITE
		vm.mem.Write(u32(s[1]), st[:])
		s[0] = errnoSuccess
	}},
	{"fd_fdstat_set_flags", w(2, 1), func(vm *VM, s []uint64) { s[0] = errnoNosys }},
	{"fd_prestat_get", w(2, 1), func(vm *VM, s []uint64) { s[0] = errnoBadf }},
	{"fd_prestat_dir_name", w(3, 1), func(vm *VM, s []uint64) { s[0] = errnoNosys }},
	{"fd_filestat_get", w(2, 1), func(vm *VM, s []uint64) { s[0] = errnoBadf }},
	{"path_open", sig{[]api.ValueType{i32, i32, i32, i32, i32, api.ValueTypeI64, api.ValueTypeI64, i32, i32}, words(1)}, func(vm *VM, s []uint64) { s[0] = errnoNoent }},
	{"path_filestat_get", w(5, 1), func(vm *VM, s []uint64) { s[0] = errnoNotsup }},
	{"random_get", w(2, 1), func(vm *VM, s []uint64) {
		p, n := u32(s[0]), u32(s[1])
		if n > 64<<10 {
			s[0] = errnoInval
			return
		}
		b := make([]byte, n)
		_, _ = rand.Read(b)
		if !vm.mem.Write(p, b) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}},
	{"sched_yield", w(0, 1), func(vm *VM, s []uint64) { s[0] = errnoSuccess }},
	{"poll_oneoff", w(4, 1), func(vm *VM, s []uint64) {
		// No events: the host does not sleep; the Go runtime needs success.
		if !vm.mem.WriteUint32Le(u32(s[3]), 0) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}},
	{"proc_exit", w(1, 0), func(vm *VM, s []uint64) {
		// proxy-wasm-cpp-host only logs it; the module goes on (and a Go
		// runtime that exits then traps).
		vm.Logs = append(vm.Logs, LogEntry{4, fmt.Sprintf("wasi proc_exit(%d)", u32(s[0]))})
	}},
}

var processStart = time.Now()

// wordsOut writes each (address, value) pair and answers ok, or fault when
// an address is outside memory.
func wordsOut(vm *VM, fault uint64, pairs ...[2]uint32) uint64 {
	for _, p := range pairs {
		if !vm.mem.WriteUint32Le(p[0], p[1]) {
			return fault
		}
	}
	return 0
}

// The proxy-wasm host functions of ABI 0.2.1 this host implements.
var envFuncs = []hostFunc{
	{"proxy_log", w(3, 1), func(vm *VM, s []uint64) {
		level := u32(s[0])
		if level > 5 {
			s[0] = stBadArgument
			return
		}
		b, ok := vm.read(u32(s[1]), u32(s[2]))
		if !ok {
			s[0] = stInvalidMemory
			return
		}
		vm.Logs = append(vm.Logs, LogEntry{level, string(b)})
		s[0] = stOK
	}},
	{"proxy_get_log_level", w(1, 1), func(vm *VM, s []uint64) {
		s[0] = wordsOut(vm, stInvalidMemory, [2]uint32{u32(s[0]), 0})
	}},
	{"proxy_get_buffer_status", w(3, 1), func(vm *VM, s []uint64) {
		b, st := vm.buffer(u32(s[0]))
		if st != stOK {
			s[0] = st
			return
		}
		s[0] = wordsOut(vm, stInvalidMemory, [2]uint32{u32(s[1]), uint32(len(b))}, [2]uint32{u32(s[2]), 0})
	}},
	{"proxy_get_buffer_bytes", w(5, 1), func(vm *VM, s []uint64) {
		b, st := vm.buffer(u32(s[0]))
		if st != stOK {
			s[0] = st
			return
		}
		start, length := u32(s[1]), u32(s[2])
		if start > start+length {
			s[0] = stBadArgument // overflow
			return
		}
		switch {
		case int(start) > len(b):
			length = 0
		case int(start+length) > len(b):
			length = uint32(len(b)) - start
		}
		if length == 0 {
			// Envoy (proxy-wasm-cpp-host's get_buffer_bytes) answers OK
			// and writes nothing: the result words keep whatever the
			// module had there, so a module must clear them itself.
			s[0] = stOK
			return
		}
		if !vm.copyOut(b[start:start+length], u32(s[3]), u32(s[4])) {
			s[0] = stInvalidMemory
			return
		}
		s[0] = stOK
	}},
	{"proxy_set_buffer_bytes", w(5, 1), func(vm *VM, s []uint64) {
		s[0] = vm.setBuffer(u32(s[0]), u32(s[1]), u32(s[2]), u32(s[3]), u32(s[4]))
	}},
	{"proxy_get_header_map_value", w(5, 1), func(vm *VM, s []uint64) {
		hs, st := vm.headerMap(u32(s[0]))
		if st != stOK {
			s[0] = st
			return
		}
		key, ok := vm.read(u32(s[1]), u32(s[2]))
		if !ok {
			s[0] = stInvalidMemory
			return
		}
		k := lower(string(key))
		for _, h := range *hs {
			if h[0] == k {
				if !vm.copyOut([]byte(h[1]), u32(s[3]), u32(s[4])) {
					s[0] = stInvalidMemory
					return
				}
				s[0] = stOK
				return
			}
		}
		s[0] = stNotFound
	}},
	{"proxy_get_header_map_pairs", w(3, 1), func(vm *VM, s []uint64) {
		var pairs [][2]string
		if hs, st := vm.headerMap(u32(s[0])); st == stOK {
			pairs = *hs
		} else if u32(s[0]) > 7 {
			s[0] = stBadArgument
			return
		}
		if !vm.copyOut(AppendPairs(nil, pairs), u32(s[1]), u32(s[2])) {
			s[0] = stInvalidMemory
			return
		}
		s[0] = stOK
	}},
	{"proxy_get_header_map_size", w(2, 1), func(vm *VM, s []uint64) {
		hs, st := vm.headerMap(u32(s[0]))
		if st != stOK {
			s[0] = st
			return
		}
		n := 0
		for _, h := range *hs {
			n += len(h[0]) + len(h[1])
		}
		s[0] = wordsOut(vm, stInvalidMemory, [2]uint32{u32(s[1]), uint32(n)})
	}},
	{"proxy_add_header_map_value", w(5, 1), func(vm *VM, s []uint64) {
		s[0] = vm.editHeader(u32(s[0]), u32(s[1]), u32(s[2]), u32(s[3]), u32(s[4]), editAdd)
	}},
	{"proxy_replace_header_map_value", w(5, 1), func(vm *VM, s []uint64) {
		s[0] = vm.editHeader(u32(s[0]), u32(s[1]), u32(s[2]), u32(s[3]), u32(s[4]), editReplace)
	}},
	{"proxy_remove_header_map_value", w(3, 1), func(vm *VM, s []uint64) {
		s[0] = vm.editHeader(u32(s[0]), u32(s[1]), u32(s[2]), 0, 0, editRemove)
	}},
	{"proxy_send_local_response", w(8, 1), func(vm *VM, s []uint64) {
		details, ok1 := vm.read(u32(s[1]), u32(s[2]))
		body, ok2 := vm.read(u32(s[3]), u32(s[4]))
		rawPairs, ok3 := vm.read(u32(s[5]), u32(s[6]))
		if !ok1 || !ok2 || !ok3 {
			s[0] = stInvalidMemory
			return
		}
		pairs, err := ParsePairs(rawPairs)
		if err != nil {
			// Envoy would send the reply without the headers it cannot
			// parse; a module sending them has a bug.
			vm.violate("proxy_send_local_response: %v", err)
		}
		st := vm.curStream
		switch {
		case st == nil:
			vm.violate("proxy_send_local_response outside a stream context")
		case st.LocalReply != nil:
			vm.violate("second proxy_send_local_response on stream %d", st.ID)
		default:
			st.LocalReply = &LocalReply{Status: u32(s[0]), Details: strings.ReplaceAll(string(details), " ", "_"),
				Body: append([]byte(nil), body...), Headers: pairs, GRPC: u32(s[7])}
		}
		vm.stopNext = true
		s[0] = stOK
	}},
	{"proxy_set_property", w(4, 1), func(vm *VM, s []uint64) {
		path, ok1 := vm.read(u32(s[0]), u32(s[1]))
		value, ok2 := vm.read(u32(s[2]), u32(s[3]))
		if !ok1 || !ok2 {
			s[0] = stInvalidMemory
			return
		}
		if vm.curStream == nil {
			s[0] = stNotFound // no stream info in a root context
			return
		}
		vm.curStream.FilterState["wasm."+string(path)] = string(value)
		s[0] = stOK
	}},
	{"proxy_get_property", w(4, 1), func(vm *VM, s []uint64) {
		path, ok := vm.read(u32(s[0]), u32(s[1]))
		if !ok {
			s[0] = stInvalidMemory
			return
		}
		if vm.curStream == nil {
			s[0] = stNotFound
			return
		}
		v, found := vm.curStream.FilterState["wasm."+string(path)]
		if !found {
			s[0] = stNotFound
			return
		}
		if !vm.copyOut([]byte(v), u32(s[2]), u32(s[3])) {
			s[0] = stInvalidMemory
			return
		}
		s[0] = stOK
	}},
	{"proxy_call_foreign_function", w(6, 1), func(vm *VM, s []uint64) {
		name, ok1 := vm.read(u32(s[0]), u32(s[1]))
		_, ok2 := vm.read(u32(s[2]), u32(s[3]))
		if !ok1 || !ok2 {
			s[0] = stInvalidMemory
			return
		}
		if string(name) != "clear_route_cache" {
			s[0] = stNotFound
			return
		}
		if vm.curStream != nil {
			vm.curStream.RouteCacheCleared++
		}
		// No results: address 0, size 0.
		if r := u32(s[4]); r != 0 && !vm.mem.WriteUint32Le(r, 0) {
			s[0] = stInvalidMemory
			return
		}
		if r := u32(s[5]); r != 0 && !vm.mem.WriteUint32Le(r, 0) {
			s[0] = stInvalidMemory
			return
		}
		s[0] = stOK
	}},
}

// buffer returns the content of buffer type t as Envoy sees it now.
func (vm *VM) buffer(t uint32) ([]byte, uint64) {
	switch t {
	case 0: // HTTP_REQUEST_BODY: the decoding buffer during a body callback, else empty
		if st := vm.curStream; st != nil && st.inBody && st.bodyRef != nil {
			return *st.bodyRef, stOK
		}
		return nil, stOK
	case 6: // VM_CONFIGURATION
		return vm.vmConfig, stOK
	case 7: // PLUGIN_CONFIGURATION: only during on_configure
		if vm.curConfig != nil {
			return vm.curConfig, stOK
		}
		return nil, stNotFound
	case 1, 2, 3, 4, 5, 8:
		return nil, stNotFound
	}
	return nil, stBadArgument
}

// setBuffer is proxy_set_buffer_bytes on the request body with the
// semantics of Envoy's Buffer::copyFrom: prepend (start 0, size 0), replace
// all (start 0, size >= length), append (start >= length); anything else is
// BAD_ARGUMENT.
func (vm *VM) setBuffer(t, start, size, p, n uint32) uint64 {
	if t > 8 {
		return stBadArgument
	}
	if t != 0 {
		return stNotFound
	}
	data, ok := vm.read(p, n)
	if !ok {
		return stInvalidMemory
	}
	st := vm.curStream
	if st == nil || !st.inBody || st.bodyRef == nil {
		return stBadArgument
	}
	cur := *st.bodyRef
	switch {
	case start == 0 && size == 0:
		cur = append(append([]byte(nil), data...), cur...)
	case start == 0 && int(size) >= len(cur):
		cur = append(cur[:0], data...)
	case int(start) >= len(cur):
		cur = append(cur, data...)
	default:
		return stBadArgument
	}
	*st.bodyRef = cur
	return stOK
}

// headerMap returns the request header map if the module may touch it now:
// in a stream callback, until on_request_headers returned Continue (Envoy
// drops its pointer then: BAD_ARGUMENT afterwards).
func (vm *VM) headerMap(t uint32) (*[][2]string, uint64) {
	if t > 7 {
		return nil, stBadArgument
	}
	st := vm.curStream
	if t != 0 || st == nil || !st.headersAvail {
		return nil, stBadArgument
	}
	return &st.headers, stOK
}

const (
	editAdd = iota
	editReplace
	editRemove
)

func (vm *VM) editHeader(t, kp, kn, vp, vn uint32, op int) uint64 {
	key, ok1 := vm.read(kp, kn)
	value, ok2 := vm.read(vp, vn)
	if !ok1 || !ok2 {
		return stInvalidMemory
	}
	hs, st := vm.headerMap(t)
	if st != stOK {
		return st
	}
	k, v := lower(string(key)), string(value)
	switch op {
	case editAdd:
		*hs = append(*hs, [2]string{k, v})
	case editReplace:
		done := false
		out := (*hs)[:0]
		for _, h := range *hs {
			if h[0] == k {
				if done {
					continue
				}
				h[1], done = v, true
			}
			out = append(out, h)
		}
		if !done {
			out = append(out, [2]string{k, v})
		}
		*hs = out
	case editRemove:
		out := (*hs)[:0]
		for _, h := range *hs {
			if h[0] != k {
				out = append(out, h)
			}
		}
		*hs = out
	}
	return stOK
}

// AppendPairs serializes a header map as the spec says (count, then key and
// value lengths, then NUL-terminated keys and values; little endian). An
// empty map is empty.
func AppendPairs(dst []byte, pairs [][2]string) []byte {
	if len(pairs) == 0 {
		return dst
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(pairs)))
	for _, p := range pairs {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p[0])))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p[1])))
	}
	for _, p := range pairs {
		dst = append(append(dst, p[0]...), 0)
		dst = append(append(dst, p[1]...), 0)
	}
	return dst
}

// ParsePairs reads a serialized header map strictly: every length must fit
// and every key and value must end with its NUL. Empty input and a single
// 0x00 byte are the empty map.
func ParsePairs(b []byte) ([][2]string, error) {
	if len(b) == 0 || (len(b) == 1 && b[0] == 0) {
		return nil, nil
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("serialized map of %d bytes has no count", len(b))
	}
	n := binary.LittleEndian.Uint32(b)
	if uint64(n)*8 > uint64(len(b)-4) {
		return nil, fmt.Errorf("serialized map claims %d pairs in %d bytes", n, len(b))
	}
	lens := b[4 : 4+8*n]
	data := b[4+8*n:]
	out := make([][2]string, 0, n)
	for i := uint32(0); i < n; i++ {
		var kv [2]string
		for j := 0; j < 2; j++ {
			l := binary.LittleEndian.Uint32(lens[8*i+4*uint32(j):])
			if uint64(l)+1 > uint64(len(data)) || data[l] != 0 {
				return nil, fmt.Errorf("serialized map: pair %d: length %d does not fit or lacks its NUL", i, l)
			}
			kv[j] = string(data[:l])
			data = data[l+1:]
		}
		out = append(out, kv)
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("serialized map: %d bytes left over", len(data))
	}
	return out, nil
}
