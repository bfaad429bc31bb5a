package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/bytedance/sonic"
	gojson "github.com/goccy/go-json"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/host"
)

// payloads are the four rows of the table (issue 14): fixture and golden
// share their path under testdata/callbacks and testdata/golden.
var payloads = []struct {
	row, path string
	dialect   decoder.Dialect
}{
	{"wecom_text", "wecom/seed_text_private.json", decoder.Wecom},
	{"eyun_text", "eyun/seed_text_private.json", decoder.Eyun},
	{"eyun_image_xml", "eyun/xml_image.json", decoder.Eyun},
	{"eyun_link_xml", "eyun/xml_link_group.json", decoder.Eyun},
}

func read(tb testing.TB, dir, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", dir, path))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// peer is one Go peer: a payload's decoder with one JSON library.
type peer struct {
	name string
	un   Unmarshal
	m    Marshal
}

func gojsonMarshal(v any) ([]byte, error) {
	return gojson.MarshalWithOption(v, gojson.DisableHTMLEscape())
}

var goPeers = []peer{
	// go-json without HTML escaping: wxhook writes '&' '<' '>' as they are.
	{"gojson", gojson.Unmarshal, gojsonMarshal},
	// sonic's default config: no HTML escaping, no key sorting.
	{"sonic", sonic.ConfigDefault.Unmarshal, sonic.ConfigDefault.Marshal},
}

func decode(dialect decoder.Dialect, src []byte, p peer) ([]byte, error) {
	if dialect == decoder.Wecom {
		return Wecom(src, p.un, p.m)
	}
	return Eyun(src, p.un, p.m)
}

// same reports whether two JSON documents are equal as values (numbers
// compared as written).
func same(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	for _, x := range []struct {
		src []byte
		v   *any
	}{{a, &va}, {b, &vb}} {
		d := json.NewDecoder(bytes.NewReader(x.src))
		d.UseNumber()
		if err := d.Decode(x.v); err != nil {
			t.Fatalf("%v: %s", err, x.src)
		}
	}
	return reflect.DeepEqual(va, vb)
}

// TestPeersWriteTheGolden: each Go peer's result is the canonical event of
// the golden, field for field, so the peers do the work wxhook does.
func TestPeersWriteTheGolden(t *testing.T) {
	for _, pl := range payloads {
		src, golden := read(t, "callbacks", pl.path), read(t, "golden", pl.path)
		for _, p := range goPeers {
			t.Run(pl.row+"/"+p.name, func(t *testing.T) {
				out, err := decode(pl.dialect, src, p)
				if err != nil {
					t.Fatal(err)
				}
				if !same(t, out, golden) {
					t.Errorf("peer wrote\n%s\ngolden\n%s", out, golden)
				}
			})
		}
		t.Run(pl.row+"/native", func(t *testing.T) {
			var d decoder.Decoder
			out, _, err := d.AppendDecode(nil, src, pl.dialect)
			if err != nil {
				t.Fatal(err)
			}
			if !same(t, out, golden) {
				t.Errorf("wxhook wrote\n%s\ngolden\n%s", out, golden)
			}
		})
	}
}

// TestPeersRefuseOtherShapes: a peer asked for a shape it does not cover
// says so instead of writing a wrong event.
func TestPeersRefuseOtherShapes(t *testing.T) {
	src := read(t, "callbacks", "eyun/seed_voice_private.json")
	if out, err := Eyun(src, gojson.Unmarshal, gojsonMarshal); err == nil {
		t.Fatalf("voice decoded by the peer: %s", out)
	}
	src = read(t, "callbacks", "wecom/seed_image.json")
	if out, err := Wecom(src, gojson.Unmarshal, gojsonMarshal); err == nil {
		t.Fatalf("wecom image decoded by the peer: %s", out)
	}
}

var (
	engineOnce sync.Once
	engine     *host.Engine
	engineErr  error
)

// wazeroEngine is one host engine for the test binary, one instance, with
// an on-disk compilation cache (WXHOOK_PEERS_CACHE, else the temp dir) so
// that passes after the first do not compile the module again.
func wazeroEngine(b *testing.B) *host.Engine {
	engineOnce.Do(func() {
		dir := os.Getenv("WXHOOK_PEERS_CACHE")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "wxhook-peers-wazero-cache")
		}
		engine, engineErr = host.New(context.Background(), host.WithMaxInstances(1), host.WithCompilationCacheDir(dir))
	})
	if engineErr != nil {
		b.Fatal(engineErr)
	}
	return engine
}

// BenchmarkPeers is one row of the table per payload, one column per
// implementation: wxhook native, the Go peers, wxhook under wazero. Every
// implementation reads the callback and writes an event's JSON.
func BenchmarkPeers(b *testing.B) {
	for _, pl := range payloads {
		src := read(b, "callbacks", pl.path)
		b.Run(pl.row+"/native", func(b *testing.B) {
			var d decoder.Decoder
			dst := make([]byte, 0, 64<<10)
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := d.AppendDecode(dst[:0], src, pl.dialect); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, p := range goPeers {
			b.Run(pl.row+"/"+p.name, func(b *testing.B) {
				b.SetBytes(int64(len(src)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := decode(pl.dialect, src, p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(pl.row+"/wazero", func(b *testing.B) {
			e := wazeroEngine(b)
			ctx := context.Background()
			dst := make([]byte, 0, 64<<10)
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := e.AppendDecode(ctx, dst[:0], src, pl.dialect); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
