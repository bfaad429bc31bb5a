// Package abi defines the ABI of wxhook's WebAssembly module (wasm/ABI.md)
// once: its version, export names, statuses, the layout of the result
// header and the name tables of the values the header carries. The guest
// (wasm/) and the wazero host (host/) are built from these constants; the
// JavaScript loader (wasm/js/wxhook.mjs) is checked against them by a test.
package abi

import "github.com/wxhook/wxhook/decoder"

// Version is the ABI version wxhook_abi_version returns. It changes on any
// incompatible change to the exports, the statuses or the header layout;
// additions (header fields at offsets >= 32 announced by HeaderLen, new
// exports) keep it.
const Version = 1

// Export names.
const (
	ExportABIVersion = "wxhook_abi_version" // () -> i32: Version
	ExportHeader     = "wxhook_header"      // () -> i32: address of the result header
	ExportInput      = "wxhook_input"       // (n i32) -> i32: input buffer holding >= n bytes, 0 if refused
	ExportDecode     = "wxhook_decode"      // (ptr, len, dialect i32) -> i32: a status
)

// Exports lists the export names of the ABI (besides memory and
// _initialize).
var Exports = [...]string{ExportABIVersion, ExportHeader, ExportInput, ExportDecode}

// Statuses of wxhook_decode.
const (
	StatusOK       = 0 // output holds canonical event JSON
	StatusError    = 1 // output holds canonical error JSON
	StatusBadInput = 2 // ptr/len not inside the input buffer, or dialect > 255; output empty
)

// Offsets of the result header's fields (little endian).
const (
	HdrOutPtr     = 0  // u32 output address
	HdrOutLen     = 4  // u32 output length
	HdrDedupOff   = 8  // u32 dedup key offset inside the output (status 0)
	HdrDedupLen   = 12 // u32 dedup key length (status 0)
	HdrVendor     = 16 // u8 vendor, decoder.Dialect (status 0)
	HdrKind       = 17 // u8 kind, decoder.Kind (status 0)
	HdrLen        = 18 // u16 the header's length in bytes; 0 in modules older than the account fields (32 bytes)
	HdrStatus     = 20 // u32 status of the last wxhook_decode
	HdrInPtr      = 24 // u32 input buffer address
	HdrInCap      = 28 // u32 input buffer capacity
	HdrAccountOff = 32 // u32 account offset inside the output (status 0; HdrLen >= 40)
	HdrAccountLen = 36 // u32 account length (status 0; 0 when the event has none)
)

// Header sizes: HeaderSize is this version's header, which the guest
// announces in its HdrLen field; BaseHeaderSize is the header of modules
// whose HdrLen is 0.
const (
	HeaderSize     = 40
	BaseHeaderSize = 32
)

// Dialects returns the dialect names indexed by the vendor byte and by the
// dialect argument of wxhook_decode.
func Dialects() []string {
	var ns []string
	for _, d := range decoder.Dialects() {
		ns = append(ns, d.String())
	}
	return ns
}

// Kinds returns the kind names indexed by the kind byte.
func Kinds() []string {
	var ns []string
	for _, k := range decoder.Kinds() {
		ns = append(ns, k.String())
	}
	return ns
}

// Codes returns the error codes the canonical error JSON may carry.
func Codes() []string {
	var ns []string
	for _, c := range decoder.Codes() {
		ns = append(ns, string(c))
	}
	return ns
}
