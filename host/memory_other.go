//go:build !linux

package host

import "github.com/tetratelabs/wazero/experimental"

// reserve has no mapping to offer off Linux: memoryAllocator uses a slice.
func reserve(uint64) experimental.LinearMemory { return nil }
