package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/host"
)

// A wecom callback as the vendor documents it
// (testdata/callbacks/wecom/seed_text_private.json).
const privateText = `{"seq":"9325976","token":"2fe8b98609a94a2089786fd379ef2724","message":{"id":1000423,"remote_id":"9325976","text":"文本","timestamp":"1697612364","type":"Text","from_id":"1688****534","to_id":"16888****798"}}`

// cacheOptions keeps compiled code where `wxhook serve` keeps it, so that
// New takes milliseconds instead of seconds after the first run.
func cacheOptions() []host.Option {
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	return []host.Option{host.WithCompilationCacheDir(filepath.Join(dir, "wxhook", "wazero"))}
}

// New compiles the module once; the Engine is safe for concurrent use and
// gives the same bytes as decoder.NewEngine.
func Example() {
	ctx := context.Background()
	e, err := host.New(ctx, cacheOptions()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close(ctx)

	out, meta, err := e.AppendDecode(ctx, nil, []byte(privateText), decoder.Auto)
	if err != nil {
		fmt.Println(err)
		return
	}
	native, _, _ := decoder.NewEngine().AppendDecode(ctx, nil, []byte(privateText), decoder.Auto)
	fmt.Println(meta.Vendor, meta.Kind, string(out) == string(native))

	// Errors are *decoder.Error, as the native decoder's.
	_, _, err = e.AppendDecode(ctx, nil, []byte(`{"seq":`), decoder.Auto)
	var de *decoder.Error
	if errors.As(err, &de) {
		fmt.Println(de.Code)
	}
	// Output:
	// wecom text true
	// not_json
}

// A Dispatcher runs any Engine's decodes on a few long-lived goroutines;
// many callers share it as they would share the Engine. It pays off with
// the Engine of New, whose guest then stays warm in the CPU caches (wxhook
// serve --wasm-dispatch); the native engine here keeps the example fast.
func ExampleNewDispatcher() {
	ctx := context.Background()
	d := host.NewDispatcher(decoder.NewEngine(), 1)
	defer d.Close(ctx) // closes the engine too

	kinds := make([]decoder.Kind, 8)
	var wg sync.WaitGroup
	for i := range kinds {
		wg.Go(func() {
			_, meta, err := d.AppendDecode(ctx, nil, []byte(privateText), decoder.Auto)
			if err == nil {
				kinds[i] = meta.Kind
			}
		})
	}
	wg.Wait()
	fmt.Println(kinds)
	// Output:
	// [text text text text text text text text]
}
