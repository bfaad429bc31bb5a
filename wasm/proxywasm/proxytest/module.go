// Package proxytest is a proxy-wasm (ABI 0.2.1) host on wazero that runs a
// compiled HTTP filter module the way Envoy does, for tests and benchmarks.
//
// It follows the spec (github.com/proxy-wasm/spec) and Envoy's host
// (proxy-wasm-cpp-host and Envoy's source/extensions/common/wasm) where they
// decide what a module sees: which exports must exist and with which
// signatures, the order of the callbacks, which host calls are allowed while
// _initialize and proxy_on_memory_allocate run, how return values are
// converted into Envoy's filter statuses (a Pause from on_request_headers
// stops the body callbacks unless AllowOnHeadersStopIteration), when request
// headers may still be read or changed, the buffer semantics of
// proxy_set_buffer_bytes, and the effect of a local reply. It refuses what
// Envoy refuses rather than whatever happens to work; where it is stricter
// than Envoy (malformed serialized maps, memory the module never allocated),
// the difference is documented on the function.
//
// It implements the host functions and WASI functions a Go (wasip1) filter
// imports; a module importing anything else fails to load, as it would on a
// host without that function.
package proxytest

import (
	"context"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

const i32 = api.ValueTypeI32

// sig is a function signature: parameters and results, all i32 or i64.
type sig struct{ params, results []api.ValueType }

func (s sig) String() string { return fmt.Sprintf("%v -> %v", names(s.params), names(s.results)) }

func names(ts []api.ValueType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = api.ValueTypeName(t)
	}
	return out
}

func words(n int) []api.ValueType {
	ts := make([]api.ValueType, n)
	for i := range ts {
		ts[i] = i32
	}
	return ts
}

func w(params, results int) sig { return sig{words(params), words(results)} }

// moduleFuncs are the exports proxy-wasm-cpp-host looks up for ABI 0.2.x,
// with the signatures it requires (WasmCallVoid<N> / WasmCallWord<N> over
// 32-bit words). An export of one of these names with another signature
// fails the module ("Bad function signature").
var moduleFuncs = map[string]sig{
	"_initialize": w(0, 0), "_start": w(0, 0), "main": w(2, 1), "__main_void": w(0, 1),
	"malloc": w(1, 1), "proxy_on_memory_allocate": w(1, 1),
	"proxy_validate_configuration": w(2, 1), "proxy_on_vm_start": w(2, 1), "proxy_on_configure": w(2, 1),
	"proxy_on_tick": w(1, 0), "proxy_on_context_create": w(2, 0),
	"proxy_on_new_connection": w(1, 1), "proxy_on_downstream_data": w(3, 1), "proxy_on_upstream_data": w(3, 1),
	"proxy_on_downstream_connection_close": w(2, 0), "proxy_on_upstream_connection_close": w(2, 0),
	"proxy_on_request_headers": w(3, 1), "proxy_on_request_body": w(3, 1), "proxy_on_request_trailers": w(2, 1),
	"proxy_on_request_metadata": w(2, 1), "proxy_on_response_headers": w(3, 1), "proxy_on_response_body": w(3, 1),
	"proxy_on_response_trailers": w(2, 1), "proxy_on_response_metadata": w(2, 1),
	"proxy_on_http_call_response": w(5, 0), "proxy_on_grpc_receive": w(3, 0), "proxy_on_grpc_close": w(3, 0),
	"proxy_on_grpc_create_initial_metadata": w(3, 0), "proxy_on_grpc_receive_initial_metadata": w(3, 0),
	"proxy_on_grpc_receive_trailing_metadata": w(3, 0), "proxy_on_queue_ready": w(2, 0),
	"proxy_on_foreign_function": w(3, 0), "proxy_on_done": w(1, 1), "proxy_on_log": w(1, 0), "proxy_on_delete": w(1, 0),
}

// MaxMemoryPages is the most linear memory a module may have in Envoy:
// proxy-wasm-cpp-host sets V8's wasm_max_mem_pages (and Wasmtime's limit) to
// PROXY_WASM_HOST_MAX_WASM_MEMORY_SIZE_BYTES, 1 GiB. A module whose initial
// memory is larger fails to load; memory.grow past it fails.
const MaxMemoryPages = 1 << 30 / 65536

// ABIVersionExport is the marker export of the one ABI this host speaks.
const ABIVersionExport = "proxy_abi_version_0_2_1"

// cache shares compiled code between the runtimes of one process: a module
// compiled once is not compiled again for another set of Options.
var cache = wazero.NewCompilationCache()

// UseCacheDir keeps compiled code in dir as well, so that test binaries run
// one after another do not compile the same module again (it takes seconds
// for a Go module). Call it before Compile.
func UseCacheDir(dir string) error {
	c, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return err
	}
	cache = c
	return nil
}

// Module is a compiled and checked filter module.
type Module struct {
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	malloc   string // "malloc" when exported, else "proxy_on_memory_allocate"
	hasMain  bool
	opts     Options
}

// Options change the host's behaviour where Envoy's is configurable or
// differs between releases.
type Options struct {
	// AllowOnHeadersStopIteration is the Wasm filter's
	// allow_on_headers_stop_iteration (Envoy >= 1.35): a Pause from
	// on_request_headers keeps the headers but lets body callbacks through.
	// Without it Envoy turns it into StopAllIterationAndWatermark.
	AllowOnHeadersStopIteration bool
	// BufferLimit is the connection's buffer limit
	// (per_connection_buffer_limit_bytes, Envoy's default 1 MiB): a buffered
	// request body beyond it gets Envoy's own 413. 0 means no limit.
	BufferLimit int
	// Record makes each VM append every callback it makes, from
	// _initialize on, to VM.Calls (for tests of the call order).
	Record bool
	// WASI lists the wasi_snapshot_preview1 functions the host provides;
	// nil means all those this package implements (what proxy-wasm-cpp-host
	// provides since April 2026). A module importing one that is missing
	// fails to load, as on an Envoy built with an older host.
	WASI []string
}

// Compile compiles wasm and checks it the way proxy-wasm-cpp-host does
// before starting a VM: the ABI version marker, the allocator, _initialize
// (or _start), an exported memory of at most MaxMemoryPages, and the
// signature of every proxy_on_* export it knows. Imports are checked when a
// VM is started.
func Compile(ctx context.Context, wasm []byte, opts Options) (*Module, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(false).
		WithCompilationCache(cache).WithMemoryLimitPages(MaxMemoryPages))
	cm, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("proxytest: failed to load Wasm bytecode: %w", err)
	}
	m := &Module{rt: rt, compiled: cm, opts: opts}
	if err := m.check(); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	return m, nil
}

func (m *Module) check() error {
	exports := m.compiled.ExportedFunctions()
	abi := ""
	for name := range exports {
		if strings.HasPrefix(name, "proxy_abi_version_") {
			if abi != "" {
				return fmt.Errorf("proxytest: more than one ABI version marker (%s, %s)", abi, name)
			}
			abi = name
		}
	}
	if abi == "" {
		return fmt.Errorf("proxytest: Missing or unknown Proxy-Wasm ABI version (no proxy_abi_version_* export)")
	}
	if abi != ABIVersionExport {
		return fmt.Errorf("proxytest: module exports %s; this host speaks only ABI 0.2.1 (%s)", abi, ABIVersionExport)
	}
	for name, want := range moduleFuncs {
		f, ok := exports[name]
		if !ok {
			continue
		}
		got := sig{f.ParamTypes(), f.ResultTypes()}
		if !sameTypes(got.params, want.params) || !sameTypes(got.results, want.results) {
			return fmt.Errorf("proxytest: Bad function signature for: %s, want: %s, but the module exports: %s", name, want, got)
		}
	}
	if _, ok := exports["_initialize"]; !ok {
		if _, ok := exports["_start"]; !ok {
			return fmt.Errorf("proxytest: module exports neither _initialize (WASI reactor) nor _start")
		}
		return fmt.Errorf("proxytest: module is a WASI command (_start): a Go filter must be built with -buildmode=c-shared")
	}
	_, m.hasMain = exports["main"]
	switch {
	case exports["malloc"] != nil:
		m.malloc = "malloc"
	case exports["proxy_on_memory_allocate"] != nil:
		m.malloc = "proxy_on_memory_allocate"
	default:
		return fmt.Errorf("proxytest: Wasm module is missing malloc function (export proxy_on_memory_allocate)")
	}
	if _, ok := m.compiled.ExportedMemories()["memory"]; !ok {
		return fmt.Errorf("proxytest: module exports no memory named \"memory\"")
	}
	return nil
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Imports lists the module's imports as "module.name".
func (m *Module) Imports() []string {
	var out []string
	for _, f := range m.compiled.ImportedFunctions() {
		mod, name, _ := f.Import()
		out = append(out, mod+"."+name)
	}
	return out
}

// Close releases the compiled module and every VM started from it.
func (m *Module) Close(ctx context.Context) error { return m.rt.Close(ctx) }
