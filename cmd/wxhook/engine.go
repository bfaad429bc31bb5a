package main

import (
	"context"
	"fmt"

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
		if dir := host.DefaultCacheDir(); dir != "" {
			opts = append(opts, host.WithCompilationCacheDir(dir))
		}
		return host.New(ctx, opts...)
	}
	return nil, fmt.Errorf("unknown engine %q (want wasm or native)", name)
}
