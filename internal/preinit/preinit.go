// Package preinit pre-initializes a Go wasip1 reactor module at build time:
// it runs the module's _initialize once under wazero and writes a module
// whose linear memory and globals start where _initialize left them, and
// whose _initialize does nothing.
//
// Why: a Go module's _initialize (the runtime's start-up and every linked
// package's init) is cheap to run but expensive to run for the first time.
// V8 compiles each function on first call, and its dynamic tiering then
// recompiles the large one-shot init functions (unicode's script table, the
// regexp that antchfx/xmlquery compiles at init, x/text/language's tables)
// with TurboFan: hundreds of ms of CPU in Node and workerd for code that
// never runs again (docs/BENCHMARKS.md "Start-up"). A pre-initialized module
// runs none of it: the state those functions build is already in its data
// segments.
//
// The snapshot is exact: a WebAssembly instance's state is its memories,
// globals and tables, and Go's reactor leaves nothing else behind once
// _initialize returns (its wasm call stack is empty; its goroutine stacks
// are in linear memory). What changes is what the runtime read from the host
// during start-up, now read once at build time from a deterministic host:
//
//   - randomness (the runtime's map hash seed and its random generator's
//     state) comes from a generator seeded with the input module's SHA-256,
//     so the build stays reproducible; every instance of one build starts
//     with the same seeds. The module's decode path keeps no maps, so hash
//     flooding has nothing to aim at; encoding/xml's namespace map in the
//     xmlquery fallback is bounded by its input limits.
//   - the clocks read during start-up are wazero's fake ones (small
//     monotonic values, 2022-01-01 wall time): the monotonic readings the
//     runtime kept (its start time) are earlier than any host's, which only
//     makes uptime-style differences larger.
//   - environment and arguments are empty: GODEBUG set by a host no longer
//     reaches the runtime (build without preinit to use inittrace).
//
// Imports other than wasi_snapshot_preview1 are host functions Snapshot
// cannot answer for (a proxy-wasm filter imports Envoy's proxy_* from
// "env"). With TrapImports they are linked to stubs that fail _initialize
// when called: a module whose start-up talks to its host is refused, never
// snapshotted with an answer its real host would not have given. The
// snapshot keeps the imports; its hosts provide them.
//
// Snapshot rejects modules it does not understand (imported memories or
// globals, float globals, a missing _initialize, imports it was not told
// to stub) rather than guess.
package preinit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Section ids (WebAssembly core specification, 5.5.2).
const (
	secType     = 1
	secImport   = 2
	secFunction = 3
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secStart    = 8
	secCode     = 10
	secData     = 11
	secDataCnt  = 12
)

// Export kinds.
const (
	kindFunc   = 0
	kindTable  = 1
	kindMemory = 2
	kindGlobal = 3
)

// MarkerSection names the custom section Snapshot adds, so that a module
// can be recognized as pre-initialized (IsSnapshot) and not snapshotted
// twice.
const MarkerSection = "wxhook.preinit"

// globalExportPrefix names the exports the inspection copy of the module
// gives its globals, so that wazero can read them after _initialize.
const globalExportPrefix = "wxhook.preinit.global."

// dataGap is the longest run of zero bytes kept inside one data segment.
// Every segment has a header (its offset and length), which compresses
// badly; runs of zeros compress to almost nothing. For wxhook.wasm 256 gave
// the smallest gzip -9 (2,176,708 bytes, 232 segments; 16 gave 2,286,505
// bytes with 65,608 segments, 4,096 gave 2,180,551) at 0.8 MB more raw.
const dataGap = 256

type section struct {
	id      byte
	payload []byte
}

type global struct {
	valType byte // 0x7f i32, 0x7e i64
	mutable byte
}

// module is the parsed part of a module that Snapshot needs.
type module struct {
	sections     []section
	importFuncs  int
	globals      []global
	exports      []export
	funcTypes    []uint32 // type index of each defined function
	initFunc     uint32   // function index of _initialize
	memoryMinIdx int      // index in sections of the memory section
}

type export struct {
	name string
	kind byte
	idx  uint32
}

// IsSnapshot reports whether wasm carries Snapshot's marker section.
func IsSnapshot(wasm []byte) bool {
	secs, err := splitSections(wasm)
	if err != nil {
		return false
	}
	for _, s := range secs {
		if s.id == 0 {
			if name, _, err := readName(s.payload); err == nil && name == MarkerSection {
				return true
			}
		}
	}
	return false
}

// Option changes how Snapshot runs _initialize.
type Option func(*options)

type options struct {
	trap map[string]bool // import modules whose functions are trapping stubs
}

// TrapImports makes Snapshot link every function the module imports from
// the host module named module to a stub that fails _initialize if it is
// called. Use it for host functions the module's start-up must not need
// (a proxy-wasm filter's "env"): the snapshot is then made without them,
// and a module whose _initialize calls one is refused with the import's
// name in the error.
func TrapImports(module string) Option {
	return func(o *options) {
		if o.trap == nil {
			o.trap = map[string]bool{}
		}
		o.trap[module] = true
	}
}

// Snapshot returns a copy of the Go wasip1 reactor module wasm whose
// memory and globals are those after its _initialize ran, with an
// _initialize export that does nothing. The same input gives the same bytes.
func Snapshot(ctx context.Context, wasm []byte, opts ...Option) ([]byte, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.trap[wasi_snapshot_preview1.ModuleName] {
		return nil, errors.New("preinit: wasi_snapshot_preview1 is provided at build time and cannot be trapped")
	}
	if IsSnapshot(wasm) {
		return nil, errors.New("preinit: module is already pre-initialized")
	}
	m, err := parse(wasm)
	if err != nil {
		return nil, err
	}
	mem, globals, err := m.run(ctx, wasm, o)
	if err != nil {
		return nil, err
	}
	return m.write(mem, globals)
}

// run instantiates a copy of the module that exports its globals, calls
// _initialize with a deterministic WASI (and the trapping stubs of o), and
// returns the memory and global values it left.
func (m *module) run(ctx context.Context, wasm []byte, o options) ([]byte, []uint64, error) {
	probe, err := m.withGlobalExports()
	if err != nil {
		return nil, nil, err
	}
	// The interpreter: compiling 7 MB for one call costs seconds with the
	// compiler, and _initialize runs in milliseconds either way.
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return nil, nil, fmt.Errorf("preinit: wasi: %w", err)
	}
	compiled, err := rt.CompileModule(ctx, probe)
	if err != nil {
		return nil, nil, fmt.Errorf("preinit: compile: %w", err)
	}
	if err := linkTraps(ctx, rt, compiled, o.trap); err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(wasm)
	// wazero's default clocks are already fake and deterministic; the
	// random source is made explicit (and per build) here.
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithRandSource(rand.NewChaCha8(sum))
	inst, err := rt.InstantiateModule(ctx, compiled, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("preinit: instantiate: %w", err)
	}
	init := inst.ExportedFunction("_initialize")
	if init == nil {
		return nil, nil, errors.New("preinit: module exports no _initialize")
	}
	if _, err := init.Call(ctx); err != nil {
		return nil, nil, fmt.Errorf("preinit: _initialize: %w", err)
	}
	memory := inst.Memory()
	if memory == nil {
		return nil, nil, errors.New("preinit: module has no memory")
	}
	mem, ok := memory.Read(0, memory.Size())
	if !ok {
		return nil, nil, errors.New("preinit: cannot read memory")
	}
	mem = bytes.Clone(mem)
	values := make([]uint64, len(m.globals))
	for i := range m.globals {
		g := inst.ExportedGlobal(fmt.Sprint(globalExportPrefix, i))
		if g == nil {
			return nil, nil, fmt.Errorf("preinit: global %d not exported", i)
		}
		values[i] = g.Get()
	}
	return mem, values, nil
}

// linkTraps instantiates, for every module of trap that compiled imports
// from, a host module whose functions fail the call. Any other import but
// WASI's is refused: Snapshot cannot know what its host would answer.
func linkTraps(ctx context.Context, rt wazero.Runtime, compiled wazero.CompiledModule, trap map[string]bool) error {
	stubs := map[string]wazero.HostModuleBuilder{}
	var order []string // instantiation order, for reproducible errors
	for _, f := range compiled.ImportedFunctions() {
		mod, name, _ := f.Import()
		switch {
		case mod == wasi_snapshot_preview1.ModuleName:
			continue
		case !trap[mod]:
			return fmt.Errorf("preinit: module imports %s.%s, which preinit cannot provide (TrapImports(%q) links it to a stub that must not be called during _initialize)", mod, name, mod)
		}
		b := stubs[mod]
		if b == nil {
			b = rt.NewHostModuleBuilder(mod)
			stubs[mod] = b
			order = append(order, mod)
		}
		full := mod + "." + name
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {
				// A panic in a host function is a trap: it unwinds the
				// whole wasm call, so _initialize fails with this error.
				panic(fmt.Errorf("preinit: _initialize called %s, a host function stubbed at build time: the module's start-up must not depend on its host", full))
			}), f.ParamTypes(), f.ResultTypes()).
			Export(name)
	}
	for _, mod := range order {
		if _, err := stubs[mod].Instantiate(ctx); err != nil {
			return fmt.Errorf("preinit: stubs of %s: %w", mod, err)
		}
	}
	return nil
}

// withGlobalExports returns the module with an export for every global.
func (m *module) withGlobalExports() ([]byte, error) {
	exps := append([]export(nil), m.exports...)
	for i := range m.globals {
		exps = append(exps, export{name: fmt.Sprint(globalExportPrefix, i), kind: kindGlobal, idx: uint32(i)})
	}
	secs := append([]section(nil), m.sections...)
	for i := range secs {
		if secs[i].id == secExport {
			secs[i].payload = encodeExports(exps)
		}
	}
	return join(secs), nil
}

// write returns the pre-initialized module: globals initialized to values,
// the memory's minimum size that of mem, data segments holding mem's
// non-zero bytes, and _initialize pointing at a new empty function.
func (m *module) write(mem []byte, values []uint64) ([]byte, error) {
	pages := uint32(len(mem) / 65536)
	noop := uint32(m.importFuncs + len(m.funcTypes))
	initType := m.funcTypes[m.initFunc-uint32(m.importFuncs)]
	var out []section
	for _, s := range m.sections {
		switch s.id {
		case secFunction:
			p := appendU32(nil, uint32(len(m.funcTypes)+1))
			for _, t := range m.funcTypes {
				p = appendU32(p, t)
			}
			s.payload = appendU32(p, initType)
		case secCode:
			n, rest, err := readU32(s.payload)
			if err != nil {
				return nil, err
			}
			p := appendU32(nil, n+1)
			p = append(p, rest...)
			// An empty body: size 2, no locals, end.
			s.payload = append(p, 2, 0, 0x0b)
		case secMemory:
			p, err := setMemoryMin(s.payload, pages)
			if err != nil {
				return nil, err
			}
			s.payload = p
		case secGlobal:
			s.payload = encodeGlobals(m.globals, values)
		case secExport:
			exps := append([]export(nil), m.exports...)
			for i := range exps {
				if exps[i].kind == kindFunc && exps[i].name == "_initialize" {
					exps[i].idx = noop
				}
			}
			s.payload = encodeExports(exps)
		case secData:
			s.payload = encodeData(mem)
		}
		out = append(out, s)
	}
	marker := appendName(nil, MarkerSection)
	marker = append(marker, "Go reactor state after _initialize; see github.com/wxhook/wxhook/internal/preinit"...)
	out = append(out, section{id: 0, payload: marker})
	return join(out), nil
}

// parse reads the sections Snapshot rewrites.
func parse(wasm []byte) (*module, error) {
	secs, err := splitSections(wasm)
	if err != nil {
		return nil, err
	}
	m := &module{sections: secs, memoryMinIdx: -1}
	haveData := false
	for i, s := range secs {
		p := s.payload
		switch s.id {
		case secImport:
			n, p, err := readU32(p)
			if err != nil {
				return nil, err
			}
			for range n {
				var kind byte
				if _, p, err = readName(p); err != nil {
					return nil, err
				}
				if _, p, err = readName(p); err != nil {
					return nil, err
				}
				if len(p) == 0 {
					return nil, errTruncated
				}
				kind, p = p[0], p[1:]
				if kind != kindFunc {
					return nil, fmt.Errorf("preinit: imports of kind %d (only functions are supported)", kind)
				}
				if _, p, err = readU32(p); err != nil {
					return nil, err
				}
				m.importFuncs++
			}
		case secFunction:
			n, p, err := readU32(p)
			if err != nil {
				return nil, err
			}
			m.funcTypes = make([]uint32, n)
			for j := range m.funcTypes {
				if m.funcTypes[j], p, err = readU32(p); err != nil {
					return nil, err
				}
			}
		case secMemory:
			m.memoryMinIdx = i
		case secGlobal:
			n, p, err := readU32(p)
			if err != nil {
				return nil, err
			}
			for range n {
				if len(p) < 2 {
					return nil, errTruncated
				}
				g := global{valType: p[0], mutable: p[1]}
				if g.valType != 0x7f && g.valType != 0x7e {
					return nil, fmt.Errorf("preinit: global of type %#x (only i32 and i64 are supported)", g.valType)
				}
				if p, err = skipConstExpr(p[2:]); err != nil {
					return nil, err
				}
				m.globals = append(m.globals, g)
			}
		case secExport:
			n, p, err := readU32(p)
			if err != nil {
				return nil, err
			}
			for range n {
				var e export
				if e.name, p, err = readName(p); err != nil {
					return nil, err
				}
				if len(p) == 0 {
					return nil, errTruncated
				}
				e.kind, p = p[0], p[1:]
				if e.idx, p, err = readU32(p); err != nil {
					return nil, err
				}
				m.exports = append(m.exports, e)
			}
		case secStart:
			return nil, errors.New("preinit: module has a start function (not a reactor)")
		case secData:
			haveData = true
		case secDataCnt:
			// Code that uses memory.init or data.drop names data segments,
			// which Snapshot renumbers.
			return nil, errors.New("preinit: module has a data count section (bulk memory data segments are not supported)")
		}
	}
	found := false
	for _, e := range m.exports {
		if e.kind == kindFunc && e.name == "_initialize" {
			m.initFunc, found = e.idx, true
		}
	}
	switch {
	case !found:
		return nil, errors.New("preinit: module exports no _initialize")
	case m.initFunc < uint32(m.importFuncs) || int(m.initFunc)-m.importFuncs >= len(m.funcTypes):
		return nil, errors.New("preinit: _initialize is not a function of the module")
	case m.memoryMinIdx < 0:
		return nil, errors.New("preinit: module defines no memory")
	case !haveData:
		return nil, errors.New("preinit: module has no data section")
	}
	return m, nil
}

var errTruncated = errors.New("preinit: truncated module")

func splitSections(wasm []byte) ([]section, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:8], []byte{0, 'a', 's', 'm', 1, 0, 0, 0}) {
		return nil, errors.New("preinit: not a WebAssembly 1.0 binary module")
	}
	var secs []section
	p := wasm[8:]
	for len(p) > 0 {
		id := p[0]
		n, rest, err := readU32(p[1:])
		if err != nil {
			return nil, err
		}
		if uint64(n) > uint64(len(rest)) {
			return nil, errTruncated
		}
		secs = append(secs, section{id: id, payload: rest[:n]})
		p = rest[n:]
	}
	return secs, nil
}

func join(secs []section) []byte {
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	for _, s := range secs {
		out = append(out, s.id)
		out = appendU32(out, uint32(len(s.payload)))
		out = append(out, s.payload...)
	}
	return out
}

func setMemoryMin(p []byte, pages uint32) ([]byte, error) {
	n, p, err := readU32(p)
	if err != nil {
		return nil, err
	}
	if n != 1 || len(p) == 0 {
		return nil, errors.New("preinit: module must define exactly one memory")
	}
	flags := p[0]
	if flags&^1 != 0 {
		return nil, fmt.Errorf("preinit: memory flags %#x (shared or 64-bit) not supported", flags)
	}
	min, rest, err := readU32(p[1:])
	if err != nil {
		return nil, err
	}
	if pages < min {
		return nil, fmt.Errorf("preinit: memory shrank to %d pages from %d", pages, min)
	}
	out := appendU32(nil, 1)
	out = append(out, flags)
	out = appendU32(out, pages)
	if flags&1 != 0 {
		max, _, err := readU32(rest)
		if err != nil {
			return nil, err
		}
		if pages > max {
			return nil, fmt.Errorf("preinit: memory grew to %d pages, past its maximum %d", pages, max)
		}
		out = appendU32(out, max)
	}
	return out, nil
}

func encodeGlobals(gs []global, values []uint64) []byte {
	p := appendU32(nil, uint32(len(gs)))
	for i, g := range gs {
		p = append(p, g.valType, g.mutable)
		if g.valType == 0x7f {
			p = append(p, 0x41) // i32.const
			p = appendS64(p, int64(int32(uint32(values[i]))))
		} else {
			p = append(p, 0x42) // i64.const
			p = appendS64(p, int64(values[i]))
		}
		p = append(p, 0x0b)
	}
	return p
}

func encodeExports(exps []export) []byte {
	p := appendU32(nil, uint32(len(exps)))
	for _, e := range exps {
		p = appendName(p, e.name)
		p = append(p, e.kind)
		p = appendU32(p, e.idx)
	}
	return p
}

// segments returns the [start, end) ranges of mem's non-zero bytes, with
// gaps of up to dataGap zero bytes kept inside a range.
func segments(mem []byte) [][2]int {
	var segs [][2]int
	for i := 0; i < len(mem); {
		if mem[i] == 0 {
			i++
			continue
		}
		start, end := i, i+1
		for j := i + 1; j < len(mem) && j-end <= dataGap; j++ {
			if mem[j] != 0 {
				end = j + 1
			}
		}
		segs = append(segs, [2]int{start, end})
		i = end
	}
	return segs
}

func encodeData(mem []byte) []byte {
	segs := segments(mem)
	p := appendU32(nil, uint32(len(segs)))
	for _, s := range segs {
		p = append(p, 0, 0x41) // active, memory 0, offset i32.const
		p = appendS64(p, int64(int32(uint32(s[0]))))
		p = append(p, 0x0b)
		p = appendU32(p, uint32(s[1]-s[0]))
		p = append(p, mem[s[0]:s[1]]...)
	}
	return p
}

func readU32(p []byte) (uint32, []byte, error) {
	v, n := binary.Uvarint(p)
	if n <= 0 || v > 1<<32-1 {
		return 0, nil, errTruncated
	}
	return uint32(v), p[n:], nil
}

func readName(p []byte) (string, []byte, error) {
	n, p, err := readU32(p)
	if err != nil {
		return "", nil, err
	}
	if uint64(n) > uint64(len(p)) {
		return "", nil, errTruncated
	}
	return string(p[:n]), p[n:], nil
}

func appendU32(p []byte, v uint32) []byte { return binary.AppendUvarint(p, uint64(v)) }

func appendName(p []byte, s string) []byte {
	return append(appendU32(p, uint32(len(s))), s...)
}

// appendS64 appends v as a signed LEB128 (the encoding of i32.const and
// i64.const immediates).
func appendS64(p []byte, v int64) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(p, b)
		}
		p = append(p, b|0x80)
	}
}

// skipConstExpr skips a global's initializer: i32.const or i64.const and
// its immediate, then end.
func skipConstExpr(p []byte) ([]byte, error) {
	if len(p) == 0 || (p[0] != 0x41 && p[0] != 0x42) {
		return nil, errors.New("preinit: global initializer is not an i32.const or i64.const")
	}
	p = p[1:]
	for len(p) > 0 && p[0]&0x80 != 0 {
		p = p[1:]
	}
	if len(p) < 2 || p[1] != 0x0b {
		return nil, errTruncated
	}
	return p[2:], nil
}
