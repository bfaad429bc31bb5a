//lint:file-ignore U1000 on the host build only the stubs of abi_other.go exist; the //go:wasmexport functions of abi_wasip1.go call this (staticcheck checks that build with GOOS=wasip1).

package proxywasm

// The module's state: the registered plugin constructor, the live contexts,
// the arena and a few reusable buffers. A wasm instance runs one callback at
// a time, so none of it needs locking.
var (
	newPlugin func(rootID uint32) Plugin
	roots     = map[uint32]Plugin{}
	streams   = map[uint32]Stream{}
	mem       arena
	pairsBuf  []byte // serialized header pairs of SendLocalResponse
)

// SetNewPlugin registers the function that creates a Plugin for each root
// context. Call it from an init function: the host creates the first root
// context right after _initialize.
func SetNewPlugin(f func(rootID uint32) Plugin) { newPlugin = f }

// onContextCreate is proxy_on_context_create.
func onContextCreate(id, parent uint32) {
	mem.reset()
	if parent == 0 {
		if newPlugin == nil {
			LogString(LogCritical, "proxywasm: no plugin registered (SetNewPlugin was not called)")
			return
		}
		roots[id] = newPlugin(id)
		return
	}
	p := roots[parent]
	if p == nil {
		// A stream of a root context this module never saw: the host is
		// broken. Without a Stream every callback of it continues.
		LogString(LogError, "proxywasm: stream context of an unknown plugin context")
		return
	}
	streams[id] = p.NewStream(id)
}

// onVMStart is proxy_on_vm_start. The VM configuration is not used.
func onVMStart(rootID, size uint32) uint32 {
	mem.reset()
	return 1
}

// onConfigure is proxy_on_configure: 1 accepts the plugin, 0 refuses it.
func onConfigure(rootID, size uint32) (ok uint32) {
	mem.reset()
	p := roots[rootID]
	if p == nil {
		LogString(LogCritical, "proxywasm: proxy_on_configure for an unknown plugin context")
		return 0
	}
	defer func() {
		if r := recover(); r != nil {
			LogString(LogCritical, "proxywasm: panic in Configure: "+panicText(r))
			ok = 0
		}
	}()
	var cfg []byte
	if size > 0 {
		b, err := GetBuffer(PluginConfiguration, 0, int(size))
		if err != nil {
			LogString(LogError, "proxywasm: reading the plugin configuration: "+err.Error())
			return 0
		}
		cfg = b
	}
	if err := p.Configure(cfg); err != nil {
		LogString(LogError, "proxywasm: bad plugin configuration: "+err.Error())
		return 0
	}
	return 1
}

// onRequestHeaders is proxy_on_request_headers.
func onRequestHeaders(id, n, eos uint32) (a Action) {
	mem.reset()
	s := streams[id]
	if s == nil {
		return Continue
	}
	defer recoverStream("OnRequestHeaders", &a)
	return s.OnRequestHeaders(int(n), eos != 0)
}

// onRequestBody is proxy_on_request_body.
func onRequestBody(id, size, eos uint32) (a Action) {
	mem.reset()
	s := streams[id]
	if s == nil {
		return Continue
	}
	defer recoverStream("OnRequestBody", &a)
	return s.OnRequestBody(int(size), eos != 0)
}

// onRequestTrailers is proxy_on_request_trailers.
func onRequestTrailers(id, n uint32) (a Action) {
	mem.reset()
	s := streams[id]
	if s == nil {
		return Continue
	}
	defer recoverStream("OnRequestTrailers", &a)
	return s.OnRequestTrailers(int(n))
}

// recoverStream turns a panic in a stream callback into a 500 local reply,
// so that a bug in the filter fails closed instead of trapping the VM (which
// would fail every stream of this worker) or letting the request through.
func recoverStream(where string, a *Action) {
	if r := recover(); r != nil {
		LogString(LogCritical, "proxywasm: panic in "+where+": "+panicText(r))
		_ = SendLocalResponse(500, "wasm_filter_panic", nil, nil)
		*a = Pause
	}
}

// onDone is proxy_on_done: the module never holds a context back.
func onDone(id uint32) uint32 {
	mem.reset()
	return 1
}

// onDelete is proxy_on_delete.
func onDelete(id uint32) {
	mem.reset()
	if s, ok := streams[id]; ok {
		delete(streams, id)
		if s != nil {
			s.OnDone()
		}
		return
	}
	delete(roots, id)
}

// onMemoryAllocate is proxy_on_memory_allocate.
func onMemoryAllocate(n uint32) uint32 { return mem.alloc(int(n)) }

func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case string:
		return v
	}
	return "(not an error or string)"
}
