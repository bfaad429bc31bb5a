package sink

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wxhook/wxhook/decoder"
)

func rec(s string) Record {
	return Record{Line: []byte(s + "\n"), Meta: decoder.Meta{Vendor: decoder.Eyun, Kind: decoder.KindText}}
}

func TestWriterLinesDoNotInterleave(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				w.Deliver(context.Background(), rec(fmt.Sprintf(`{"g":%d,"i":%d}`, g, i)))
			}
		}()
	}
	wg.Wait()
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != 800 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		if !bytes.HasPrefix(l, []byte(`{"g":`)) || !bytes.HasSuffix(l, []byte("}")) {
			t.Fatalf("mangled line %q", l)
		}
	}
	w.Close(context.Background())
	if err := w.Deliver(context.Background(), rec("{}")); err == nil {
		t.Fatal("Deliver after Close succeeded")
	}
}

func TestFileAppends(t *testing.T) {
	for _, policy := range []string{"always", "interval", "never"} {
		t.Run(policy, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.ndjson")
			os.WriteFile(path, []byte("{\"old\":1}\n"), 0o600)
			f, err := OpenFile(path, policy)
			if err != nil {
				t.Fatal(err)
			}
			f.Deliver(context.Background(), rec(`{"a":1}`))
			f.Deliver(context.Background(), rec(`{"a":2}`))
			if err := f.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			if string(b) != "{\"old\":1}\n{\"a\":1}\n{\"a\":2}\n" {
				t.Fatalf("file: %q", b)
			}
		})
	}
	if _, err := OpenFile(filepath.Join(t.TempDir(), "x"), "sometimes"); err == nil {
		t.Fatal("bad fsync policy accepted")
	}
}

func TestRecordJSON(t *testing.T) {
	if got := string(rec(`{"a":1}`).JSON()); got != `{"a":1}` {
		t.Fatal(got)
	}
}
