//go:build wasip1 && wxhook_debug

package main

import "runtime"

// wxhook_debug_mallocs, only in a build with -tags wxhook_debug (never in
// bin/wxhook-filter.wasm), lets TestSteadyStateAllocations count the Go heap
// allocations made inside the module.
//
//go:wasmexport wxhook_debug_mallocs
func debugMallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}
