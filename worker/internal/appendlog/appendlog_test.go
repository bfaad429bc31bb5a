package appendlog

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
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

// faultyFile fails writes and truncations on demand, as a full disk does.
type faultyFile struct {
	file
	tear     int   // >= 0: the next Write writes only tear bytes, then fails
	truncErr error // returned by every Truncate
}

func (f *faultyFile) Write(b []byte) (int, error) {
	if f.tear < 0 {
		return f.file.Write(b)
	}
	n, err := f.file.Write(b[:f.tear])
	f.tear = -1
	if err == nil {
		err = syscall.ENOSPC
	}
	return n, err
}

func (f *faultyFile) Truncate(size int64) error {
	if f.truncErr != nil {
		return f.truncErr
	}
	return f.file.Truncate(size)
}

func openFaulty(t *testing.T, path string) (*File, *faultyFile) {
	t.Helper()
	l, err := Open(path, SyncAlways, 0)
	if err != nil {
		t.Fatal(err)
	}
	ff := &faultyFile{file: l.f, tear: -1}
	l.f = ff
	return l, ff
}

func appendOK(t *testing.T, l *File, rec string) {
	t.Helper()
	if _, err := l.Append([]byte(rec)); err != nil {
		t.Fatalf("Append(%q): %v", rec, err)
	}
}

func wantContent(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Fatalf("file holds %q, want %q", b, want)
	}
}

// A write cut short by a full disk must not leave its torn bytes between
// the records acknowledged before and after it: readers stop at the first
// record that does not check out and would lose the later ones.
func TestTornWriteIsCutOff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, ff := openFaulty(t, path)
	appendOK(t, l, "r0\n")
	appendOK(t, l, "r1\n")

	ff.tear = 4
	if _, err := l.Append([]byte("torn-record\n")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("torn Append returned %v, want ENOSPC", err)
	}
	// A write that failed with nothing written needs no cutting off.
	ff.tear = 0
	if _, err := l.Append([]byte("empty\n")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("failed Append returned %v, want ENOSPC", err)
	}
	appendOK(t, l, "r2\n")
	appendOK(t, l, "r3\n")
	want := "r0\nr1\nr2\nr3\n"
	wantContent(t, path, want)
	if l.Size() != int64(len(want)) {
		t.Fatalf("Size %d, want %d", l.Size(), len(want))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened (as after a restart) it has the same records and appends
	// after them.
	l, err := Open(path, SyncAlways, 0)
	if err != nil {
		t.Fatal(err)
	}
	if l.Size() != int64(len(want)) {
		t.Fatalf("reopened Size %d, want %d", l.Size(), len(want))
	}
	appendOK(t, l, "r4\n")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	wantContent(t, path, want+"r4\n")
}

// If the torn bytes cannot be cut off, no later append may be acknowledged
// behind them.
func TestTornWriteNotCutOffRefusesAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, ff := openFaulty(t, path)
	appendOK(t, l, "r0\n")
	ff.tear, ff.truncErr = 4, syscall.EIO
	if _, err := l.Append([]byte("torn-record\n")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("torn Append returned %v, want ENOSPC", err)
	}
	for range 2 {
		if _, err := l.Append([]byte("r1\n")); !errors.Is(err, syscall.EIO) {
			t.Fatalf("Append after a torn write that stayed: %v, want the truncation error", err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Nothing was acknowledged after the torn bytes.
	wantContent(t, path, "r0\ntorn")
}
