package proxytest

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// restricted sets of host calls. While _initialize runs and while the
// allocator runs, proxy-wasm-cpp-host lets only these through and traps on
// anything else ("restricted_callback"), which fails the VM.
var (
	allowedAtStart = setOf(
		"env.emscripten_notify_memory_growth", "env.proxy_log",
		"wasi_snapshot_preview1.fd_write",
		"wasi_snapshot_preview1.args_sizes_get", "wasi_snapshot_preview1.args_get",
		"wasi_snapshot_preview1.environ_sizes_get", "wasi_snapshot_preview1.environ_get",
		"wasi_snapshot_preview1.clock_time_get", "wasi_snapshot_preview1.clock_res_get",
		"wasi_snapshot_preview1.random_get", "wasi_snapshot_preview1.poll_oneoff",
		"wasi_snapshot_preview1.fd_fdstat_get", "wasi_snapshot_preview1.fd_fdstat_set_flags",
		"wasi_snapshot_preview1.fd_advise", "wasi_snapshot_preview1.fd_allocate",
		"wasi_snapshot_preview1.fd_datasync", "wasi_snapshot_preview1.fd_fdstat_set_rights",
		"wasi_snapshot_preview1.fd_filestat_get", "wasi_snapshot_preview1.fd_filestat_set_size",
		"wasi_snapshot_preview1.fd_filestat_set_times", "wasi_snapshot_preview1.fd_pread",
		"wasi_snapshot_preview1.fd_prestat_dir_name", "wasi_snapshot_preview1.fd_prestat_get",
		"wasi_snapshot_preview1.fd_pwrite", "wasi_snapshot_preview1.fd_readdir",
		"wasi_snapshot_preview1.fd_renumber", "wasi_snapshot_preview1.fd_sync",
		"wasi_snapshot_preview1.fd_tell", "wasi_snapshot_preview1.path_create_directory",
		"wasi_snapshot_preview1.path_filestat_get", "wasi_snapshot_preview1.path_filestat_set_times",
		"wasi_snapshot_preview1.path_link", "wasi_snapshot_preview1.path_readlink",
		"wasi_snapshot_preview1.path_remove_directory", "wasi_snapshot_preview1.path_rename",
		"wasi_snapshot_preview1.path_symlink", "wasi_snapshot_preview1.path_unlink_file",
		"wasi_snapshot_preview1.sock_accept", "wasi_snapshot_preview1.sock_recv",
		"wasi_snapshot_preview1.sock_send", "wasi_snapshot_preview1.sock_shutdown",
	)
	allowedInMalloc = setOf(
		"env.proxy_log", "wasi_snapshot_preview1.fd_write",
		"wasi_snapshot_preview1.clock_time_get", "wasi_snapshot_preview1.poll_oneoff",
	)
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// LogEntry is one message the module logged (proxy_log, or fd_write to
// stdout at LogInfo and stderr at LogError, as Envoy does).
type LogEntry struct {
	Level   uint32
	Message string
}

// VM is one instance of the module, as Envoy runs one per worker thread:
// every plugin and stream of the worker shares it, and callbacks of
// different streams interleave.
type VM struct {
	m      *Module
	mod    api.Module
	mem    api.Memory
	funcs  map[string]api.Function
	ctx    context.Context
	stack  []uint64
	failed error

	restricted map[string]bool // non-nil while _initialize or the allocator runs
	inMalloc   bool
	nextID     uint32
	vmConfig   []byte
	plugins    map[uint32]*Plugin

	// During a callback: its context, and what the host function calls
	// may touch.
	curPlugin  *Plugin
	curStream  *Stream
	curConfig  []byte // the plugin configuration, during on_configure
	stopNext   bool   // proxy_send_local_response was called
	violations []string

	// Record is Options.Record; it may be changed at any time.
	Record bool
	Calls  []string
	Logs   []LogEntry
}

type vmKey struct{}

// NewVM instantiates the module, links it against the host's functions
// (a missing or mistyped import fails it, as in Envoy), and starts it:
// _initialize (and main, when exported) with only the host calls Envoy
// allows during start-up.
func (m *Module) NewVM(ctx context.Context, vmConfig []byte) (*VM, error) {
	vm := &VM{m: m, funcs: map[string]api.Function{}, stack: make([]uint64, 8), nextID: 1,
		vmConfig: vmConfig, plugins: map[uint32]*Plugin{}, Record: m.opts.Record}
	vm.ctx = context.WithValue(ctx, vmKey{}, vm)
	if err := m.link(vm.ctx); err != nil {
		return nil, err
	}
	mod, err := m.rt.InstantiateModule(vm.ctx, m.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("proxytest: Failed to load Wasm module: %w", err)
	}
	vm.mod = mod
	vm.mem = mod.Memory()
	for name := range m.compiled.ExportedFunctions() {
		vm.funcs[name] = mod.ExportedFunction(name)
	}
	vm.restricted = allowedAtStart
	_, err = vm.call("_initialize")
	if err == nil && m.hasMain {
		_, err = vm.call("main", 0, 0)
	}
	vm.restricted = nil
	if err != nil {
		return nil, fmt.Errorf("proxytest: VM start: %w", err)
	}
	return vm, nil
}

// Failed returns why the VM failed (a trap, a refused host call), or nil.
// Envoy stops calling a failed VM and answers its streams with 503.
func (vm *VM) Failed() error { return vm.failed }

// Violations lists what the module did that a host must refuse or that
// shows a bug (memory out of bounds, malformed maps): tests expect none.
func (vm *VM) Violations() []string { return vm.violations }

func (vm *VM) violate(format string, args ...any) {
	vm.violations = append(vm.violations, fmt.Sprintf(format, args...))
}

// Close closes the instance.
func (vm *VM) Close() error { return vm.mod.Close(vm.ctx) }

// Memory is the instance's linear memory.
func (vm *VM) Memory() api.Memory { return vm.mem }

// call invokes export name with args and returns its result (0 for none).
// A missing export is not called, as in proxy-wasm-cpp-host, and answers
// ok=false through errMissing.
func (vm *VM) call(name string, args ...uint64) (uint64, error) {
	if vm.failed != nil {
		return 0, vm.failed
	}
	f := vm.funcs[name]
	if f == nil {
		return 0, errMissing
	}
	if vm.Record && name != vm.m.malloc {
		s := name + "("
		for i, a := range args {
			if i > 0 {
				s += ","
			}
			s += strconv.FormatUint(a, 10)
		}
		vm.Calls = append(vm.Calls, s+")")
	}
	stack := vm.stack[:max(len(args), 1)]
	copy(stack, args)
	if err := f.CallWithStack(vm.ctx, stack); err != nil {
		if vm.failed == nil {
			vm.failed = fmt.Errorf("%s failed: %w", name, err)
		}
		return 0, vm.failed
	}
	if vm.failed != nil {
		// A nested call (the allocator, from a host function) failed the
		// VM: whatever this call returned is not used, as in Envoy.
		return 0, vm.failed
	}
	if len(f.Definition().ResultTypes()) == 0 {
		return 0, nil
	}
	return stack[0], nil
}

var errMissing = errors.New("export not present")

// CallExport calls an export that is not part of the ABI (a debugging hook
// of a test build) and returns its first result.
func (vm *VM) CallExport(name string, args ...uint64) (uint64, error) {
	r, err := vm.call(name, args...)
	if err == errMissing {
		return 0, fmt.Errorf("proxytest: the module exports no %s", name)
	}
	return r, err
}

// alloc asks the module for n bytes (proxy_on_memory_allocate) with the
// host calls restricted as Envoy restricts them, and returns the address.
func (vm *VM) alloc(n uint32) (uint32, bool) {
	saved := vm.restricted
	vm.restricted = allowedInMalloc
	vm.inMalloc = true
	p, err := vm.call(vm.m.malloc, uint64(n))
	vm.restricted, vm.inMalloc = saved, false
	if err != nil || p == 0 {
		return 0, false
	}
	if _, ok := vm.mem.Read(uint32(p), n); !ok {
		vm.violate("allocator returned %d for %d bytes, outside memory", p, n)
		return 0, false
	}
	return uint32(p), true
}

// copyOut writes b into fresh module memory and the address and length into
// the two words at ptrPtr and sizePtr, as copyToPointerSize does: nothing is
// allocated for an empty b (address 0).
func (vm *VM) copyOut(b []byte, ptrPtr, sizePtr uint32) bool {
	var p uint32
	if len(b) > 0 {
		var ok bool
		if p, ok = vm.alloc(uint32(len(b))); !ok {
			return false
		}
		vm.mem.Write(p, b)
	}
	return vm.mem.WriteUint32Le(ptrPtr, p) && vm.mem.WriteUint32Le(sizePtr, uint32(len(b)))
}

func (vm *VM) read(p, n uint32) ([]byte, bool) {
	b, ok := vm.mem.Read(p, n)
	if !ok {
		vm.violate("read of %d bytes at %d outside memory", n, p)
	}
	return b, ok
}

// Plugin is a plugin (root) context of a VM.
type Plugin struct {
	vm     *VM
	ID     uint32
	config []byte
	// Properties set from the root context (Envoy has no stream info
	// there: NOT_FOUND).
}

// StartPlugin creates a root context and configures it, as Envoy does for
// each plugin: proxy_on_context_create(root, 0), proxy_on_vm_start(root,
// len(vm configuration)), proxy_on_configure(root, len(config)). A false
// from either of the last two fails the plugin.
func (vm *VM) StartPlugin(config []byte) (*Plugin, error) {
	p := &Plugin{vm: vm, ID: vm.nextID, config: config}
	vm.nextID++
	vm.plugins[p.ID] = p
	vm.curPlugin = p
	defer func() { vm.curPlugin = nil }()
	if _, err := vm.call("proxy_on_context_create", uint64(p.ID), 0); err != nil && err != errMissing {
		return nil, err
	}
	if r, err := vm.call("proxy_on_vm_start", uint64(p.ID), uint64(len(vm.vmConfig))); err == nil && r == 0 {
		return nil, fmt.Errorf("proxytest: proxy_on_vm_start returned false")
	} else if err != nil && err != errMissing {
		return nil, err
	}
	vm.curConfig = config
	r, err := vm.call("proxy_on_configure", uint64(p.ID), uint64(len(config)))
	vm.curConfig = nil
	if err != nil && err != errMissing {
		return nil, err
	}
	if err == nil && r == 0 {
		return nil, fmt.Errorf("proxytest: proxy_on_configure returned false (plugin configuration refused)")
	}
	return p, nil
}

// Stop ends the plugin as Envoy does at shutdown: proxy_on_done, then
// proxy_on_delete.
func (p *Plugin) Stop() error {
	p.vm.curPlugin = p
	defer func() { p.vm.curPlugin = nil }()
	if _, err := p.vm.call("proxy_on_done", uint64(p.ID)); err != nil && err != errMissing {
		return err
	}
	if _, err := p.vm.call("proxy_on_delete", uint64(p.ID)); err != nil && err != errMissing {
		return err
	}
	delete(p.vm.plugins, p.ID)
	return nil
}
