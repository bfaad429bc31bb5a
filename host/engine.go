package host

import (
	"context"
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wxhook/wxhook/decoder"
)

// Module is the WebAssembly module, built by ../build.sh from ../wasm.
//
//go:embed wxhook.wasm
var Module []byte

// ABIVersion is the version of ../wasm/ABI.md this host speaks.
const ABIVersion = 1

// Status codes of wxhook_decode (ABI.md).
const (
	statusOK       = 0
	statusError    = 1
	statusBadInput = 2
)

// Offsets inside the guest's result header (ABI.md).
const (
	hdrOutPtr   = 0
	hdrOutLen   = 4
	hdrDedupOff = 8
	hdrDedupLen = 12
	hdrVendor   = 16
	hdrKind     = 17
	hdrInPtr    = 24
	hdrInCap    = 28
	hdrSize     = 32
)

// Engine decodes callbacks with the WebAssembly module. It is safe for
// concurrent use and implements decoder.Engine.
type Engine struct {
	cfg      config
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	modCfg   wazero.ModuleConfig
	ownCache wazero.CompilationCache // made from WithCompilationCacheDir; closed by Close

	// idle holds instances ready for a call; slots holds one token per
	// live instance (idle or busy), so len(slots) never exceeds
	// maxInstances. Channels rather than sync.Pool: a pool may drop an
	// instance at any GC without closing it, leaking its memory.
	idle  chan *instance
	slots chan struct{}

	closed    atomic.Bool
	created   atomic.Int64
	discarded atomic.Int64
}

var _ decoder.Engine = (*Engine)(nil)

// New compiles the module and starts its first instance, so that a broken
// module, an ABI mismatch or a too-small memory limit fail here rather than
// on the first callback.
func New(ctx context.Context, opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	rc := wazero.NewRuntimeConfigCompiler().
		WithCloseOnContextDone(cfg.interrupt).
		WithMemoryLimitPages(cfg.memoryPages)
	var ownCache wazero.CompilationCache
	if cfg.cache != nil {
		rc = rc.WithCompilationCache(cfg.cache)
	} else if cfg.cacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.cacheDir)
		if err != nil {
			return nil, fmt.Errorf("host: compilation cache: %w", err)
		}
		rc = rc.WithCompilationCache(cache)
		ownCache = cache
	}
	e := &Engine{
		cfg:      cfg,
		rt:       wazero.NewRuntimeWithConfig(ctx, rc),
		ownCache: ownCache,
		idle:     make(chan *instance, cfg.maxInstances),
		slots:    make(chan struct{}, cfg.maxInstances),
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.rt); err != nil {
		e.closeRuntime(ctx)
		return nil, fmt.Errorf("host: wasi: %w", err)
	}
	compiled, err := e.rt.CompileModule(ctx, Module)
	if err != nil {
		e.closeRuntime(ctx)
		return nil, fmt.Errorf("host: compile: %w", err)
	}
	e.compiled = compiled
	// Anonymous instances (WithName("")) so that many can coexist;
	// _initialize runs the Go runtime's and the package's init. Real
	// clocks and randomness: the Go runtime paces its GC and seeds its
	// map hashes with them.
	e.modCfg = wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions("_initialize").
		WithSysNanotime().
		WithSysWalltime().
		WithRandSource(rand.Reader)
	e.slots <- struct{}{}
	inst, err := e.newInstance(ctx)
	if err != nil {
		e.closeRuntime(ctx)
		return nil, err
	}
	e.idle <- inst
	return e, nil
}

// closeRuntime closes the runtime (and with it every instance and the
// compiled module), then the compilation cache New made, if any.
func (e *Engine) closeRuntime(ctx context.Context) error {
	err := e.rt.Close(ctx)
	if e.ownCache != nil {
		if cerr := e.ownCache.Close(ctx); err == nil {
			err = cerr
		}
	}
	return err
}

// Stats counts the engine's instances.
type Stats struct {
	Live      int   // instances alive now (idle or busy)
	Idle      int   // instances waiting for a call
	Max       int   // the bound on Live
	Created   int64 // instances started since New
	Discarded int64 // instances closed after a trap, cancellation or limit
}

// Stats returns a snapshot of the pool's counters.
func (e *Engine) Stats() Stats {
	return Stats{
		Live:      len(e.slots),
		Idle:      len(e.idle),
		Max:       cap(e.slots),
		Created:   e.created.Load(),
		Discarded: e.discarded.Load(),
	}
}

// AppendDecode appends the canonical JSON of src to dst, exactly as
// decoder.Decoder.AppendDecode does. Meta.DedupKey aliases the returned
// slice. Errors are *decoder.Error.
func (e *Engine) AppendDecode(ctx context.Context, dst, src []byte, dialect decoder.Dialect) ([]byte, decoder.Meta, error) {
	if len(src) > decoder.MaxInput {
		return dst, decoder.Meta{}, decoder.TooLarge(dialect) // what the native decoder says
	}
	if len(src) > e.cfg.maxInput {
		return dst, decoder.Meta{}, &decoder.Error{Code: decoder.CodeTooLarge, Dialect: dialect, Offset: e.cfg.maxInput,
			Detail: "body of " + strconv.Itoa(len(src)) + " bytes exceeds the limit of " + strconv.Itoa(e.cfg.maxInput)}
	}
	if err := ctx.Err(); err != nil {
		return dst, decoder.Meta{}, internalError(dialect, err)
	}
	inst, err := e.acquire(ctx)
	if err != nil {
		return dst, decoder.Meta{}, internalError(dialect, err)
	}
	out, meta, err, broken := inst.decode(ctx, dst, src, dialect)
	if broken {
		e.discard(ctx, inst)
	} else {
		e.release(inst)
	}
	return out, meta, err
}

// acquire returns an idle instance, starts a new one while fewer than
// maxInstances live, or waits for one to be released.
func (e *Engine) acquire(ctx context.Context) (*instance, error) {
	if e.closed.Load() {
		return nil, errClosed
	}
	select {
	case inst := <-e.idle:
		return inst, nil
	default:
	}
	select {
	case inst := <-e.idle:
		return inst, nil
	case e.slots <- struct{}{}:
		inst, err := e.newInstance(ctx)
		if err != nil {
			<-e.slots
			return nil, err
		}
		return inst, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release returns a healthy instance to the pool. It never blocks: idle has
// room for every live instance.
func (e *Engine) release(inst *instance) {
	if e.closed.Load() {
		inst.close(context.Background())
		<-e.slots
		return
	}
	e.idle <- inst
}

// discard closes an instance that trapped, was cancelled or ran out of
// memory, and frees its slot: the next caller starts a fresh one.
func (e *Engine) discard(ctx context.Context, inst *instance) {
	e.discarded.Add(1)
	inst.close(context.WithoutCancel(ctx))
	<-e.slots
}

// Close closes every instance and the runtime. Calls in flight fail with
// decoder.CodeInternal; later calls fail at once.
func (e *Engine) Close(ctx context.Context) error {
	if e.closed.Swap(true) {
		return nil
	}
	for {
		select {
		case inst := <-e.idle:
			inst.close(ctx)
			<-e.slots
			continue
		default:
		}
		break
	}
	return e.closeRuntime(ctx)
}

var errClosed = errors.New("host: engine closed")

// internalError wraps an engine failure as the decoder's typed error.
func internalError(dialect decoder.Dialect, err error) *decoder.Error {
	return &decoder.Error{Code: decoder.CodeInternal, Dialect: dialect, Offset: -1, Detail: err.Error()}
}

// instance is one module instance and what a call needs, prepared once:
// function handles, the header's address, the input buffer's address and
// the parameter/result stack. Only one goroutine uses it at a time.
type instance struct {
	mod    api.Module
	mem    api.Memory
	input  api.Function
	dec    api.Function
	hdr    uint32
	inPtr  uint32
	inCap  uint32
	stack  []uint64
	stderr *lineLogger
}

func (e *Engine) newInstance(ctx context.Context) (*instance, error) {
	ll := &lineLogger{log: e.cfg.logger}
	mod, err := e.rt.InstantiateModule(ctx, e.compiled, e.modCfg.WithStderr(ll).WithStdout(ll))
	if err != nil {
		return nil, fmt.Errorf("host: instantiate: %w", err)
	}
	inst := &instance{
		mod:    mod,
		mem:    mod.Memory(),
		input:  mod.ExportedFunction("wxhook_input"),
		dec:    mod.ExportedFunction("wxhook_decode"),
		stack:  make([]uint64, 3),
		stderr: ll,
	}
	ver := mod.ExportedFunction("wxhook_abi_version")
	hdr := mod.ExportedFunction("wxhook_header")
	if inst.mem == nil || inst.input == nil || inst.dec == nil || ver == nil || hdr == nil {
		mod.Close(ctx)
		return nil, errors.New("host: module lacks the wxhook exports")
	}
	if err := ver.CallWithStack(ctx, inst.stack); err != nil {
		mod.Close(ctx)
		return nil, fmt.Errorf("host: abi version: %w", err)
	}
	if v := uint32(inst.stack[0]); v != ABIVersion {
		mod.Close(ctx)
		return nil, fmt.Errorf("host: module speaks ABI %d, host %d", v, ABIVersion)
	}
	if err := hdr.CallWithStack(ctx, inst.stack); err != nil {
		mod.Close(ctx)
		return nil, fmt.Errorf("host: header: %w", err)
	}
	inst.hdr = uint32(inst.stack[0])
	if !inst.readInput() {
		mod.Close(ctx)
		return nil, errors.New("host: header outside memory")
	}
	e.created.Add(1)
	return inst, nil
}

// readInput refreshes the cached input buffer address and size.
func (in *instance) readInput() bool {
	p, ok1 := in.mem.ReadUint32Le(in.hdr + hdrInPtr)
	c, ok2 := in.mem.ReadUint32Le(in.hdr + hdrInCap)
	in.inPtr, in.inCap = p, c
	return ok1 && ok2
}

func (in *instance) close(ctx context.Context) {
	in.mod.Close(ctx)
	in.stderr.flush()
}

// decode runs one call. broken reports that the instance must not be used
// again (a trap, a cancelled context, an exhausted memory limit, or an
// answer that breaks the ABI).
func (in *instance) decode(ctx context.Context, dst, src []byte, dialect decoder.Dialect) (_ []byte, _ decoder.Meta, _ error, broken bool) {
	status, out, h, err := in.call(ctx, src, dialect)
	if err != nil {
		return dst, decoder.Meta{}, internalError(dialect, err), status != statusNotRun
	}
	switch status {
	case statusOK:
		off, dl := le32(h[hdrDedupOff:]), le32(h[hdrDedupLen:])
		if uint64(off)+uint64(dl) > uint64(len(out)) {
			return dst, decoder.Meta{}, internalError(dialect, errors.New("dedup key outside output")), true
		}
		start := len(dst)
		dst = append(dst, out...)
		m := decoder.Meta{Vendor: decoder.Dialect(h[hdrVendor]), Kind: decoder.Kind(h[hdrKind])}
		if dl > 0 {
			k := start + int(off)
			m.DedupKey = dst[k : k+int(dl) : k+int(dl)]
		}
		return dst, m, nil, false
	case statusError:
		de, err := decoder.ParseErrorJSON(out)
		if err != nil {
			return dst, decoder.Meta{}, internalError(dialect, fmt.Errorf("unreadable error from guest: %w", err)), true
		}
		return dst, decoder.Meta{}, de, false
	}
	return dst, decoder.Meta{}, internalError(dialect, fmt.Errorf("guest status %d", status)), true
}

// statusNotRun is call's status when it failed before entering the guest
// (an expired context): the instance is untouched and stays usable.
const statusNotRun = ^uint32(0)

// call copies src into the guest, runs wxhook_decode and returns its status,
// the output and the result header. out and h are views of guest memory,
// valid until the next call on the instance.
func (in *instance) call(ctx context.Context, src []byte, dialect decoder.Dialect) (status uint32, out, h []byte, err error) {
	// Without interruption wazero does not look at ctx: an expired
	// context must still not start a call.
	if err := ctx.Err(); err != nil {
		return statusNotRun, nil, nil, err
	}
	n := uint32(len(src))
	if n > in.inCap {
		// The guest's buffers only grow, so its address is asked for
		// only when a body is larger than every earlier one.
		in.stack[0] = uint64(n)
		if err := in.input.CallWithStack(ctx, in.stack); err != nil {
			return 0, nil, nil, err
		}
		if in.stack[0] == 0 || !in.readInput() || in.inCap < n {
			return 0, nil, nil, errors.New("guest refused an input buffer")
		}
	}
	if !in.mem.Write(in.inPtr, src) {
		return 0, nil, nil, errors.New("input buffer outside memory")
	}
	in.stack[0], in.stack[1], in.stack[2] = uint64(in.inPtr), uint64(n), uint64(dialect)
	if err := in.dec.CallWithStack(ctx, in.stack); err != nil {
		return 0, nil, nil, err
	}
	status = uint32(in.stack[0])
	h, ok := in.mem.Read(in.hdr, hdrSize)
	if !ok {
		return 0, nil, nil, errors.New("header outside memory")
	}
	out, ok = in.mem.Read(le32(h[hdrOutPtr:]), le32(h[hdrOutLen:]))
	if !ok {
		return 0, nil, nil, errors.New("output outside memory")
	}
	return status, out, h, nil
}

func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
