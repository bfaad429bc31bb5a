//go:build wasip1

package main

import (
	"unsafe"

	"github.com/wxhook/wxhook/internal/abi"
)

// The exports of ABI.md, named as internal/abi's Export* constants (a
// //go:wasmexport directive takes no constant; TestExportNames compares).
// Each is a thin shim over guest so that the logic stays testable off wasm.

//go:wasmexport wxhook_abi_version
func wxhookABIVersion() uint32 { return abi.Version }

//go:wasmexport wxhook_header
func wxhookHeader() uint32 { return uint32(uintptr(unsafe.Pointer(&state.hdr))) }

//go:wasmexport wxhook_input
func wxhookInput(n uint32) uint32 {
	b := state.input(int(n))
	if b == nil {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

//go:wasmexport wxhook_decode
func wxhookDecode(ptr, n, dialect uint32) uint32 { return state.decodeAt(ptr, n, dialect) }
