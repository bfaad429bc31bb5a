package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/host"
)

// openEngine returns the decoding engine named by --engine: "wasm" (the
// WebAssembly module under wazero, the same bytes Node and workerd run) or
// "native" (the decoder compiled into this binary).
func openEngine(ctx context.Context, name string) (decoder.Engine, error) {
	switch name {
	case "native":
		return decoder.NewEngine(), nil
	case "wasm":
		var opts []host.Option
		if dir := wasmCacheDir(); dir != "" {
			opts = append(opts, host.WithCompilationCacheDir(dir))
		}
		return host.New(ctx, opts...)
	}
	return nil, fmt.Errorf("unknown engine %q (want wasm or native)", name)
}

// wasmCacheDir is where wazero keeps the module's compiled code between runs:
// compiling takes seconds, loading the cache milliseconds. $WXHOOK_WASM_CACHE
// overrides the default (the user cache directory); "off" disables it.
func wasmCacheDir() string {
	switch dir := os.Getenv("WXHOOK_WASM_CACHE"); dir {
	case "off":
		return ""
	case "":
	default:
		return dir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "wxhook", "wazero")
}
