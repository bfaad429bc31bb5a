// Package host runs wxhook's decoder as a WebAssembly module under wazero.
//
// The module (wxhook.wasm, built from ../wasm by build.sh and embedded here)
// is compiled once per Engine; a bounded, channel-based pool of module
// instances serves concurrent callers, because a wazero module instance runs
// one call at a time. An Engine implements decoder.Engine and returns the
// native decoder's output byte for byte: canonical JSON on success, the same
// *decoder.Error (read back from the canonical error JSON) on failure.
//
// Failures of the engine itself - a trap, an exhausted memory limit, a
// cancelled or expired context - come back as decoder.CodeInternal errors.
// An instance whose call failed inside the guest is closed and replaced,
// never reused; one whose call never started (the context ended first), or
// whose detached call was abandoned but finished well, goes back to the pool. A context is
// checked before each call and while waiting for an instance; a call on a
// large body runs detached so that its caller returns when the context ends
// (WithDetachFrom); WithCloseOnContextDone also stops the guest in flight,
// at a large cost in speed (see there).
package host
