//go:build !wasip1

package proxywasm

import "unsafe"

// Outside wasip1 there is no proxy-wasm host: every host call answers
// StatusUnimplemented, so code using the package builds and vets natively.

func rawLog(uint32, unsafe.Pointer, uint32) uint32 { return uint32(StatusUnimplemented) }

func rawGetBufferBytes(uint32, uint32, uint32, unsafe.Pointer, unsafe.Pointer) uint32 {
	return uint32(StatusUnimplemented)
}

func rawSetBufferBytes(uint32, uint32, uint32, unsafe.Pointer, uint32) uint32 {
	return uint32(StatusUnimplemented)
}

func rawGetHeaderMapValue(uint32, unsafe.Pointer, uint32, unsafe.Pointer, unsafe.Pointer) uint32 {
	return uint32(StatusUnimplemented)
}

func rawReplaceHeaderMapValue(uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32) uint32 {
	return uint32(StatusUnimplemented)
}

func rawRemoveHeaderMapValue(uint32, unsafe.Pointer, uint32) uint32 {
	return uint32(StatusUnimplemented)
}

func rawSendLocalResponse(uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32, uint32) uint32 {
	return uint32(StatusUnimplemented)
}

func rawSetProperty(unsafe.Pointer, uint32, unsafe.Pointer, uint32) uint32 {
	return uint32(StatusUnimplemented)
}

func rawCallForeignFunction(unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, unsafe.Pointer) uint32 {
	return uint32(StatusUnimplemented)
}
