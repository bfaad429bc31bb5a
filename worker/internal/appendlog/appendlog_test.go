package appendlog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestConcurrentAppendsAreWholeLines(t *testing.T) {
	for _, p := range []Policy{SyncAlways, SyncInterval, SyncNever} {
		path := filepath.Join(t.TempDir(), "log")
		l, err := Open(path, p, 5*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					if _, err := l.Append(fmt.Appendf(nil, "g%d-%03d\n", g, i)); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if l.Size() != 400*7 {
			t.Fatalf("size %d", l.Size())
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append([]byte("x\n")); err != ErrClosed {
			t.Fatalf("Append after Close: %v", err)
		}
		b, _ := os.ReadFile(path)
		lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
		if len(lines) != 400 {
			t.Fatalf("policy %d: %d lines", p, len(lines))
		}
		for _, ln := range lines {
			if len(ln) != 6 || ln[0] != 'g' {
				t.Fatalf("torn line %q", ln)
			}
		}
	}
}

func TestSyncToCoversEarlierAppends(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "log"), SyncNever, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s1, _ := l.AppendNoSync([]byte("a"))
	s2, _ := l.AppendNoSync([]byte("b"))
	if err := l.SyncTo(s2); err != nil {
		t.Fatal(err)
	}
	if l.synced < s1 || l.synced < s2 {
		t.Fatalf("synced %d after SyncTo(%d)", l.synced, s2)
	}
}

func TestParsePolicy(t *testing.T) {
	for in, want := range map[string]Policy{"": SyncInterval, "interval": SyncInterval, "always": SyncAlways, "never": SyncNever} {
		if p, ok := ParsePolicy(in); !ok || p != want {
			t.Errorf("ParsePolicy(%q) = %d, %v", in, p, ok)
		}
	}
	if _, ok := ParsePolicy("often"); ok {
		t.Error("ParsePolicy accepted often")
	}
}
