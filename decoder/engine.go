package decoder

import (
	"context"
	"sync"
)

// Engine decodes callbacks for concurrent callers. The native engine
// (NewEngine) and the WebAssembly engine (package host) implement it with the
// same results byte for byte, so a caller switches engines with one option.
type Engine interface {
	// AppendDecode appends the canonical JSON of src to dst, as
	// Decoder.AppendDecode does. Errors are *Error.
	AppendDecode(ctx context.Context, dst, src []byte, dialect Dialect) ([]byte, Meta, error)
	// Close releases the engine's resources.
	Close(ctx context.Context) error
}

// NewEngine returns the native engine: Decoders shared through a sync.Pool.
// (A pool is right here: a Decoder holds only Go memory, nothing to close.)
func NewEngine() Engine { return &nativeEngine{} }

type nativeEngine struct{ pool sync.Pool }

func (n *nativeEngine) AppendDecode(ctx context.Context, dst, src []byte, dialect Dialect) ([]byte, Meta, error) {
	if err := ctx.Err(); err != nil {
		return dst, Meta{}, errNoOffset(CodeInternal, dialect, "", err.Error())
	}
	d, _ := n.pool.Get().(*Decoder)
	if d == nil {
		d = new(Decoder)
	}
	dst, m, err := d.AppendDecode(dst, src, dialect)
	n.pool.Put(d)
	return dst, m, err
}

func (n *nativeEngine) Close(context.Context) error { return nil }
