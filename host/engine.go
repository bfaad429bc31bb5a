package host

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/abi"
)

// module is the WebAssembly module, built by ../build.sh from ../wasm.
//
//go:embed wxhook.wasm
var module []byte

// Module returns a copy of the WebAssembly module that New runs (the bytes
// of host/wxhook.wasm), for callers that run it elsewhere or ship it. It is
// a copy so that no caller can change what later Engines compile.
func Module() []byte { return bytes.Clone(module) }

// ABIVersion is the version of ../wasm/ABI.md this host speaks.
const ABIVersion = abi.Version

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
	shut      chan struct{} // closed once the runtime is closed; shutErr is then set
	shutErr   error
	busy      atomic.Int64 // instances out of the pool: acquired, not yet released or discarded
	created   atomic.Int64
	discarded atomic.Int64
	abandoned atomic.Int64
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
		shut:     make(chan struct{}),
		slots:    make(chan struct{}, cfg.maxInstances),
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.rt); err != nil {
		e.closeRuntime(ctx)
		return nil, fmt.Errorf("host: wasi: %w", err)
	}
	compiled, err := e.rt.CompileModule(ctx, module)
	if err != nil {
		e.closeRuntime(ctx)
		return nil, fmt.Errorf("host: compile: %w", err)
	}
	e.compiled = compiled
	// Anonymous instances (WithName("")) so that many can coexist.
	// _initialize does nothing in the committed, pre-initialized module
	// (internal/preinit: the runtime's and the packages' init ran at build
	// time, with its seeds fixed then); it is still called, as the WASI
	// reactor convention asks, so that a module built without preinit
	// works too. Real clocks: the Go runtime paces its GC with them.
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
	Abandoned int64 // detached calls whose caller's context ended first
}

// Stats returns a snapshot of the pool's counters.
func (e *Engine) Stats() Stats {
	return Stats{
		Live:      len(e.slots),
		Idle:      len(e.idle),
		Max:       cap(e.slots),
		Created:   e.created.Load(),
		Discarded: e.discarded.Load(),
		Abandoned: e.abandoned.Load(),
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
		return dst, decoder.Meta{}, &decoder.Error{Code: decoder.CodeTooLarge, Vendor: dialect, Offset: e.cfg.maxInput,
			Detail: "body of " + strconv.Itoa(len(src)) + " bytes exceeds the limit of " + strconv.Itoa(e.cfg.maxInput)}
	}
	if err := ctx.Err(); err != nil {
		return dst, decoder.Meta{}, internalError(dialect, err)
	}
	inst, err := e.acquire(ctx)
	if err != nil {
		return dst, decoder.Meta{}, internalError(dialect, err)
	}
	if !e.cfg.interrupt && e.cfg.detachFrom > 0 && len(src) >= e.cfg.detachFrom && ctx.Done() != nil {
		if err := ctx.Err(); err != nil { // ended while we waited: start nothing
			return e.finish(ctx, inst, dst, dialect, statusNotRun, nil, nil, err)
		}
		return e.decodeDetached(ctx, inst, dst, src, dialect)
	}
	status, out, h, err := inst.call(ctx, src, dialect)
	return e.finish(ctx, inst, dst, dialect, status, out, h, err)
}

// finish turns a call's result into AppendDecode's, then returns the
// instance to the pool or discards it.
func (e *Engine) finish(ctx context.Context, inst *instance, dst []byte, dialect decoder.Dialect,
	status uint32, out, h []byte, err error) ([]byte, decoder.Meta, error) {
	dst, meta, err, broken := inst.result(dst, dialect, status, out, h, err)
	if broken {
		e.discard(ctx, inst)
	} else {
		e.release(inst)
	}
	return dst, meta, err
}

// decodeDetached runs a large call on its own goroutine so that the caller
// returns as soon as ctx ends. The guest cannot be stopped mid-call without
// WithCloseOnContextDone, so an abandoned call runs to its end (bounded by
// WithMaxInput) and its instance then goes back to the pool. The output is
// copied into dst only by the caller's goroutine, and only if it did not
// give up: an abandoned call never writes to memory the caller owns.
func (e *Engine) decodeDetached(ctx context.Context, inst *instance, dst, src []byte, dialect decoder.Dialect) ([]byte, decoder.Meta, error) {
	type answer struct {
		status uint32
		out, h []byte
		err    error
	}
	const (
		running   = iota
		taken     // the caller takes the result (and the instance)
		abandoned // the caller gave up; the call's goroutine cleans up
	)
	// The input is copied into the guest here, on the caller's goroutine:
	// once this returns the caller may reuse src, whatever happens next.
	n, err := inst.load(ctx, src)
	if err != nil {
		return e.finish(ctx, inst, dst, dialect, 0, nil, nil, err)
	}
	var state atomic.Int32
	done := make(chan answer, 1)
	go func() {
		status, out, h, err := inst.run(context.WithoutCancel(ctx), n, dialect)
		if !state.CompareAndSwap(running, taken) {
			// Abandoned: nobody reads this result. Keep the instance only
			// if the call itself went well.
			if _, broken := inst.verdict(dialect, status, out, h, err); broken {
				e.discard(context.Background(), inst)
			} else {
				e.release(inst)
			}
			return
		}
		done <- answer{status, out, h, err}
	}()
	select {
	case r := <-done:
		return e.finish(ctx, inst, dst, dialect, r.status, r.out, r.h, r.err)
	case <-ctx.Done():
		if state.CompareAndSwap(running, abandoned) {
			e.abandoned.Add(1)
			return dst, decoder.Meta{}, internalError(dialect, ctx.Err())
		}
		// The call finished just now: take its result after all.
		r := <-done
		return e.finish(ctx, inst, dst, dialect, r.status, r.out, r.h, r.err)
	}
}

// acquire returns an idle instance, starts a new one while fewer than
// maxInstances live, or waits for one to be released.
func (e *Engine) acquire(ctx context.Context) (*instance, error) {
	// Counted before closed is looked at: a Close that sets closed after
	// this load waits for the call to end before closing the runtime.
	e.busy.Add(1)
	if e.closed.Load() {
		e.busy.Add(-1)
		return nil, errClosed
	}
	select {
	case inst := <-e.idle:
		return inst, nil
	default:
	}
	select {
	case inst := <-e.idle:
		// Close may have started while we waited: it takes no new calls.
		if e.closed.Load() {
			e.release(inst)
			return nil, errClosed
		}
		return inst, nil
	case e.slots <- struct{}{}:
		if e.closed.Load() {
			<-e.slots
			e.busy.Add(-1)
			return nil, errClosed
		}
		inst, err := e.newInstance(ctx)
		if err != nil {
			<-e.slots
			e.busy.Add(-1)
			return nil, err
		}
		return inst, nil
	case <-ctx.Done():
		e.busy.Add(-1)
		return nil, ctx.Err()
	}
}

// release returns a healthy instance to the pool. It never blocks: idle has
// room for every live instance. If Close ran meanwhile, whatever is idle
// is closed here: either Close's drain sees the instance sent below, or
// this load sees closed set (closed is set before Close drains).
func (e *Engine) release(inst *instance) {
	e.idle <- inst
	if e.closed.Load() {
		e.drainIdle(context.Background())
	}
	e.busy.Add(-1)
}

// drainIdle closes every idle instance and frees its slot.
func (e *Engine) drainIdle(ctx context.Context) {
	for {
		select {
		case inst := <-e.idle:
			inst.close(ctx)
			<-e.slots
		default:
			return
		}
	}
}

// discard closes an instance that trapped, was cancelled or ran out of
// memory, and frees its slot: the next caller starts a fresh one.
func (e *Engine) discard(ctx context.Context, inst *instance) {
	e.discarded.Add(1)
	inst.close(context.WithoutCancel(ctx))
	<-e.slots
	e.busy.Add(-1)
}

// Close stops taking calls, waits for the calls in flight (a wazero runtime
// must not be closed under a running call), then closes every instance and
// the runtime. Later calls fail at once with decoder.CodeInternal. If ctx
// ends first, Close returns its error and the runtime is closed in the
// background when the last call ends.
//
// A later Close waits, within its own ctx, for the runtime to be closed and
// returns the same error.
func (e *Engine) Close(ctx context.Context) error {
	if !e.closed.Swap(true) {
		e.drainIdle(ctx)
		go func() {
			e.waitCalls()
			e.shutErr = e.closeRuntime(context.Background())
			close(e.shut)
		}()
	}
	select {
	case <-e.shut:
		return e.shutErr
	case <-ctx.Done():
		return fmt.Errorf("host: close: %w while calls still run; the runtime closes when they end", ctx.Err())
	}
}

// waitCalls waits until no instance is out of the pool.
// Calls are bounded (a few microseconds for a typical callback, about 5 ms
// per MiB of input), so a short poll is simpler than a signal on every
// release.
func (e *Engine) waitCalls() {
	for e.busy.Load() > 0 {
		time.Sleep(200 * time.Microsecond)
	}
}

var errClosed = errors.New("host: engine closed")

// internalError wraps an engine failure as the decoder's typed error.
func internalError(dialect decoder.Dialect, err error) *decoder.Error {
	return decoder.NewError(decoder.CodeInternal, dialect, err.Error())
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
	memory *memoryAllocator
}

func (e *Engine) newInstance(ctx context.Context) (*instance, error) {
	ll := &lineLogger{log: e.cfg.logger}
	alloc := &memoryAllocator{}
	mod, err := e.rt.InstantiateModule(experimental.WithMemoryAllocator(ctx, alloc), e.compiled,
		e.modCfg.WithStderr(ll).WithStdout(ll))
	if err != nil {
		alloc.free()
		return nil, fmt.Errorf("host: instantiate: %w", err)
	}
	inst := &instance{
		mod:    mod,
		mem:    mod.Memory(),
		input:  mod.ExportedFunction(abi.ExportInput),
		dec:    mod.ExportedFunction(abi.ExportDecode),
		stack:  make([]uint64, 3),
		stderr: ll,
		memory: alloc,
	}
	ver := mod.ExportedFunction(abi.ExportABIVersion)
	hdr := mod.ExportedFunction(abi.ExportHeader)
	if inst.mem == nil || inst.input == nil || inst.dec == nil || ver == nil || hdr == nil {
		inst.close(ctx)
		return nil, errors.New("host: module lacks the wxhook exports")
	}
	if err := ver.CallWithStack(ctx, inst.stack); err != nil {
		inst.close(ctx)
		return nil, fmt.Errorf("host: abi version: %w", err)
	}
	if v := uint32(inst.stack[0]); v != ABIVersion {
		inst.close(ctx)
		return nil, fmt.Errorf("host: module speaks ABI %d, host %d", v, ABIVersion)
	}
	if err := hdr.CallWithStack(ctx, inst.stack); err != nil {
		inst.close(ctx)
		return nil, fmt.Errorf("host: header: %w", err)
	}
	inst.hdr = uint32(inst.stack[0])
	if !inst.readInput() {
		inst.close(ctx)
		return nil, errors.New("host: header outside memory")
	}
	e.created.Add(1)
	return inst, nil
}

// readInput refreshes the cached input buffer address and size.
func (in *instance) readInput() bool {
	p, ok1 := in.mem.ReadUint32Le(in.hdr + abi.HdrInPtr)
	c, ok2 := in.mem.ReadUint32Le(in.hdr + abi.HdrInCap)
	in.inPtr, in.inCap = p, c
	return ok1 && ok2
}

func (in *instance) close(ctx context.Context) {
	in.mod.Close(ctx)
	in.memory.free()
	in.stderr.flush()
}

// verdict checks a finished call: fail is the error AppendDecode returns
// (nil when out holds canonical JSON), broken that the instance must not be
// used again (a trap, an exhausted memory limit, or an answer that breaks
// the ABI; not a call that never started).
func (in *instance) verdict(dialect decoder.Dialect, status uint32, out, h []byte, err error) (fail error, broken bool) {
	if err != nil {
		return internalError(dialect, err), status != statusNotRun
	}
	switch status {
	case abi.StatusOK:
		if uint64(le32(h[abi.HdrDedupOff:]))+uint64(le32(h[abi.HdrDedupLen:])) > uint64(len(out)) {
			return internalError(dialect, errors.New("dedup key outside output")), true
		}
		if hasAccount(h) && uint64(le32(h[abi.HdrAccountOff:]))+uint64(le32(h[abi.HdrAccountLen:])) > uint64(len(out)) {
			return internalError(dialect, errors.New("account outside output")), true
		}
		return nil, false
	case abi.StatusError:
		de, err := decoder.ParseErrorJSON(out)
		if err != nil {
			return internalError(dialect, fmt.Errorf("unreadable error from guest: %w", err)), true
		}
		return de, false
	}
	return internalError(dialect, fmt.Errorf("guest status %d", status)), true
}

// result is a finished call's answer: the output appended to dst and its
// Meta, or verdict's error.
func (in *instance) result(dst []byte, dialect decoder.Dialect, status uint32, out, h []byte, err error) (_ []byte, _ decoder.Meta, _ error, broken bool) {
	if fail, broken := in.verdict(dialect, status, out, h, err); fail != nil {
		return dst, decoder.Meta{}, fail, broken
	}
	start := len(dst)
	dst = append(dst, out...)
	m := decoder.Meta{Vendor: decoder.Dialect(h[abi.HdrVendor]), Kind: decoder.Kind(h[abi.HdrKind])}
	if dl := int(le32(h[abi.HdrDedupLen:])); dl > 0 {
		k := start + int(le32(h[abi.HdrDedupOff:]))
		m.DedupKey = dst[k : k+dl : k+dl]
	}
	if al := int(le32(h[abi.HdrAccountLen:])); al > 0 && hasAccount(h) {
		k := start + int(le32(h[abi.HdrAccountOff:]))
		m.Account = dst[k : k+al : k+al]
	}
	return dst, m, nil, false
}

// hasAccount reports whether the header h carries the account fields: a
// module announces its header's length at abi.HdrLen (0 in modules older
// than these fields, whose header is abi.BaseHeaderSize bytes).
func hasAccount(h []byte) bool {
	return int(h[abi.HdrLen])|int(h[abi.HdrLen+1])<<8 >= abi.HdrAccountLen+4
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
	n, err := in.load(ctx, src)
	if err != nil {
		return 0, nil, nil, err
	}
	return in.run(ctx, n, dialect)
}

// load copies src into the guest's input buffer, growing it first if src
// is larger than every earlier body.
func (in *instance) load(ctx context.Context, src []byte) (uint32, error) {
	n := uint32(len(src))
	if n > in.inCap {
		// The guest's buffers only grow, so its address is asked for
		// only when a body is larger than every earlier one.
		in.stack[0] = uint64(n)
		if err := in.input.CallWithStack(ctx, in.stack); err != nil {
			return 0, err
		}
		if in.stack[0] == 0 || !in.readInput() || in.inCap < n {
			return 0, errors.New("guest refused an input buffer")
		}
	}
	if !in.mem.Write(in.inPtr, src) {
		return 0, errors.New("input buffer outside memory")
	}
	return n, nil
}

// run decodes the n bytes load put in the input buffer.
func (in *instance) run(ctx context.Context, n uint32, dialect decoder.Dialect) (status uint32, out, h []byte, err error) {
	in.stack[0], in.stack[1], in.stack[2] = uint64(in.inPtr), uint64(n), uint64(dialect)
	if err := in.dec.CallWithStack(ctx, in.stack); err != nil {
		return 0, nil, nil, err
	}
	// With interruption, wazero's watcher may close the module just as the
	// call returns; its memory may then be freed at any moment.
	if in.mod.IsClosed() {
		return 0, nil, nil, errors.New("module closed during the call")
	}
	status = uint32(in.stack[0])
	h, ok := in.mem.Read(in.hdr, abi.HeaderSize)
	if !ok {
		return 0, nil, nil, errors.New("header outside memory")
	}
	out, ok = in.mem.Read(le32(h[abi.HdrOutPtr:]), le32(h[abi.HdrOutLen:]))
	if !ok {
		return 0, nil, nil, errors.New("output outside memory")
	}
	return status, out, h, nil
}

func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
