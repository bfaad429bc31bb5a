// Command wasm is wxhook's decoder compiled to a WebAssembly reactor module
// (GOOS=wasip1 GOARCH=wasm, -buildmode=c-shared). It exports the small ABI
// described in ABI.md; package host runs it under wazero and wasm/js/wxhook.mjs
// runs the same file in Node and workerd.
//
// This file holds the ABI's logic and builds on every platform, so it is unit
// tested natively; exports_wasip1.go only binds it to //go:wasmexport names.
//
// The guest never allocates per call in steady state: one Decoder, one input
// buffer and one output buffer live for the whole life of the instance and
// only ever grow. The Go allocator and GC inside the module are its main cost.
package main

import (
	"unsafe"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/abi"
)

// maxInput bounds the input buffer the guest agrees to hold. Hosts enforce
// their own (smaller) limit first; this one only keeps a broken host from
// asking the guest to grow without bound.
const maxInput = 64 << 20

// header is the fixed-address record the host reads after each decode
// instead of calling one export per value. Its layout is internal/abi's
// (ABI.md), little endian; TestHeaderLayout checks the offsets.
type header struct {
	outPtr, outLen         uint32 // abi.HdrOutPtr, abi.HdrOutLen
	dedupOff, dedupLen     uint32 // abi.HdrDedupOff, abi.HdrDedupLen
	vendor, kind           uint8  // abi.HdrVendor, abi.HdrKind
	size                   uint16 // abi.HdrLen: abi.HeaderSize, so hosts know the account fields are there
	status                 uint32 // abi.HdrStatus
	inPtr, inCap           uint32 // abi.HdrInPtr, abi.HdrInCap
	accountOff, accountLen uint32 // abi.HdrAccountOff, abi.HdrAccountLen
}

// guest is the state of one module instance. There is exactly one (state),
// because a wasm instance is single-threaded and serves one call at a time.
type guest struct {
	dec decoder.Decoder
	in  []byte
	out []byte
	hdr header
}

var state guest

// setup preallocates the buffers so the first calls do not grow them.
func (g *guest) setup() {
	g.hdr.size = abi.HeaderSize
	g.in = make([]byte, 64<<10)
	g.out = make([]byte, 0, 64<<10)
	g.noteInput()
}

// input returns the input buffer grown to hold n bytes, or nil when n
// exceeds maxInput. Growing discards the old contents.
func (g *guest) input(n int) []byte {
	if n < 0 || n > maxInput {
		return nil
	}
	if n > len(g.in) {
		c := 2 * len(g.in)
		for c < n {
			c *= 2
		}
		if c > maxInput {
			c = maxInput
		}
		g.in = make([]byte, c)
		g.noteInput()
	}
	return g.in
}

// noteInput records the input buffer's address and size in the header.
func (g *guest) noteInput() {
	g.hdr.inPtr = uint32(uintptr(unsafe.Pointer(unsafe.SliceData(g.in))))
	g.hdr.inCap = uint32(len(g.in))
}

// clearResult zeroes the result part of the header (not the input part).
func (g *guest) clearResult() {
	g.hdr.outPtr, g.hdr.outLen, g.hdr.dedupOff, g.hdr.dedupLen = 0, 0, 0, 0
	g.hdr.vendor, g.hdr.kind, g.hdr.status = 0, 0, 0
	g.hdr.accountOff, g.hdr.accountLen = 0, 0
}

// decode decodes src (which must lie inside g.in) and fills g.out and g.hdr.
func (g *guest) decode(src []byte, dialect decoder.Dialect) (status uint32) {
	g.out = g.out[:0]
	g.clearResult()
	defer func() {
		// The decoder must never panic; if it does anyway, answer with an
		// internal error instead of trapping, so the instance stays usable
		// and the host still gets a typed error.
		if r := recover(); r != nil {
			e := decoder.NewError(decoder.CodeInternal, dialect, panicText(r))
			g.out = e.AppendJSON(g.out[:0])
			g.clearResult()
			status = abi.StatusError
		}
		g.finish(status)
	}()
	out, meta, err := g.dec.AppendDecode(g.out, src, dialect)
	if err != nil {
		e, ok := err.(*decoder.Error)
		if !ok {
			e = decoder.NewError(decoder.CodeInternal, dialect, err.Error())
		}
		g.out = e.AppendJSON(g.out[:0])
		return abi.StatusError
	}
	g.out = out
	g.hdr.vendor = uint8(meta.Vendor)
	g.hdr.kind = uint8(meta.Kind)
	if len(meta.DedupKey) > 0 {
		// DedupKey aliases out; its position is what the host needs.
		g.hdr.dedupOff = uint32(offsetIn(out, meta.DedupKey))
		g.hdr.dedupLen = uint32(len(meta.DedupKey))
	}
	if len(meta.Account) > 0 {
		g.hdr.accountOff = uint32(offsetIn(out, meta.Account))
		g.hdr.accountLen = uint32(len(meta.Account))
	}
	return abi.StatusOK
}

// finish records the output's address, length and the status in the header.
func (g *guest) finish(status uint32) {
	g.hdr.status = status
	g.hdr.outLen = uint32(len(g.out))
	if cap(g.out) > 0 {
		g.hdr.outPtr = uint32(uintptr(unsafe.Pointer(unsafe.SliceData(g.out[:cap(g.out)]))))
	}
}

// decodeAt is decode for a (ptr, len) pair given by the host: the bytes must
// lie inside the input buffer, so a host bug can never make the guest read
// memory it does not own.
func (g *guest) decodeAt(ptr, n uint32, dialect uint32) uint32 {
	base := uintptr(unsafe.Pointer(unsafe.SliceData(g.in)))
	p := uintptr(ptr)
	if dialect > 0xff || p < base || uint64(p-base)+uint64(n) > uint64(len(g.in)) {
		g.out = g.out[:0]
		g.clearResult()
		g.finish(abi.StatusBadInput)
		return abi.StatusBadInput
	}
	off := p - base
	return g.decode(g.in[off:off+uintptr(n)], decoder.Dialect(dialect))
}

// offsetIn is where part, a subslice of out, starts inside it.
func offsetIn(out, part []byte) uintptr {
	return uintptr(unsafe.Pointer(unsafe.SliceData(part))) - uintptr(unsafe.Pointer(unsafe.SliceData(out)))
}

// main is empty: a reactor's setup runs in init (via _initialize), and the
// module is driven only through its exports.
func main() {}

func init() { state.setup() }

// panicText describes a recovered value without fmt, which would add a few
// hundred kilobytes to the module.
func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return "panic: " + v.Error()
	case string:
		return "panic: " + v
	}
	return "panic"
}
