//go:build wasip1

package proxywasm

//lint:file-ignore U1000 the //go:wasmexport functions are called by the host.

import "unsafe"

// The module's exports. proxy_abi_version_0_2_1 is never called: Envoy reads
// the ABI version from the name of an exported function. _initialize and
// memory come from the Go toolchain (-buildmode=c-shared). The signatures
// are the ones proxy-wasm-cpp-host checks before it calls anything; a
// mismatch fails the module at load.

//go:wasmexport proxy_abi_version_0_2_1
func proxyABIVersion() {}

//go:wasmexport proxy_on_memory_allocate
func proxyOnMemoryAllocate(size uint32) uint32 { return onMemoryAllocate(size) }

//go:wasmexport proxy_on_context_create
func proxyOnContextCreate(id, parent uint32) { onContextCreate(id, parent) }

//go:wasmexport proxy_on_vm_start
func proxyOnVMStart(rootID, size uint32) uint32 { return onVMStart(rootID, size) }

//go:wasmexport proxy_on_configure
func proxyOnConfigure(rootID, size uint32) uint32 { return onConfigure(rootID, size) }

//go:wasmexport proxy_on_request_headers
func proxyOnRequestHeaders(id, n, eos uint32) uint32 {
	return uint32(onRequestHeaders(id, n, eos))
}

//go:wasmexport proxy_on_request_body
func proxyOnRequestBody(id, size, eos uint32) uint32 {
	return uint32(onRequestBody(id, size, eos))
}

//go:wasmexport proxy_on_request_trailers
func proxyOnRequestTrailers(id, n uint32) uint32 {
	return uint32(onRequestTrailers(id, n))
}

//go:wasmexport proxy_on_done
func proxyOnDone(id uint32) uint32 { return onDone(id) }

//go:wasmexport proxy_on_delete
func proxyOnDelete(id uint32) { onDelete(id) }

// The host functions used, all in module "env", all returning a
// proxy_status_t.

//go:wasmimport env proxy_log
func rawLog(level uint32, msg unsafe.Pointer, n uint32) uint32

//go:wasmimport env proxy_get_buffer_bytes
func rawGetBufferBytes(t, start, max uint32, ptrOut, sizeOut unsafe.Pointer) uint32

//go:wasmimport env proxy_set_buffer_bytes
func rawSetBufferBytes(t, start, size uint32, data unsafe.Pointer, n uint32) uint32

//go:wasmimport env proxy_get_header_map_value
func rawGetHeaderMapValue(m uint32, key unsafe.Pointer, keyLen uint32, ptrOut, sizeOut unsafe.Pointer) uint32

//go:wasmimport env proxy_replace_header_map_value
func rawReplaceHeaderMapValue(m uint32, key unsafe.Pointer, keyLen uint32, value unsafe.Pointer, valueLen uint32) uint32

//go:wasmimport env proxy_remove_header_map_value
func rawRemoveHeaderMapValue(m uint32, key unsafe.Pointer, keyLen uint32) uint32

//go:wasmimport env proxy_send_local_response
func rawSendLocalResponse(status uint32, details unsafe.Pointer, detailsLen uint32, body unsafe.Pointer, bodyLen uint32, pairs unsafe.Pointer, pairsLen uint32, grpcStatus uint32) uint32

//go:wasmimport env proxy_set_property
func rawSetProperty(path unsafe.Pointer, pathLen uint32, value unsafe.Pointer, valueLen uint32) uint32

//go:wasmimport env proxy_call_foreign_function
func rawCallForeignFunction(name unsafe.Pointer, nameLen uint32, args unsafe.Pointer, argsLen uint32, ptrOut, sizeOut unsafe.Pointer) uint32
