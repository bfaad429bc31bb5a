package main

import (
	"context"
	"fmt"

	"github.com/wxhook/wxhook/decoder"
)

// openEngine returns the decoding engine named by --engine.
func openEngine(ctx context.Context, name string) (decoder.Engine, error) {
	switch name {
	case "native":
		return decoder.NewEngine(), nil
	}
	return nil, fmt.Errorf("unknown engine %q (want wasm or native)", name)
}
