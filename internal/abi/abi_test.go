package abi

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
)

func TestTables(t *testing.T) {
	if d := Dialects(); len(d) != len(decoder.Dialects()) || d[decoder.Eyun] != "eyun" || d[decoder.Auto] != "auto" || d[decoder.Gewe] != "gewe" {
		t.Errorf("Dialects() = %v", d)
	}
	if k := Kinds(); len(k) != len(decoder.Kinds()) || k[decoder.KindText] != "text" || k[decoder.KindOffline] != "offline" || k[len(k)-1] != decoder.KindFileUpload.String() {
		t.Errorf("Kinds() = %v", k)
	}
	if c := Codes(); len(c) != len(decoder.Codes()) || !slices.Contains(c, "internal") {
		t.Errorf("Codes() = %v", c)
	}
	// The header fields do not overlap and fit in the header.
	type field struct{ off, size int }
	fs := []field{{HdrOutPtr, 4}, {HdrOutLen, 4}, {HdrDedupOff, 4}, {HdrDedupLen, 4}, {HdrVendor, 1}, {HdrKind, 1},
		{HdrLen, 2}, {HdrStatus, 4}, {HdrInPtr, 4}, {HdrInCap, 4}, {HdrAccountOff, 4}, {HdrAccountLen, 4}}
	used := make([]bool, HeaderSize)
	for _, f := range fs {
		for i := f.off; i < f.off+f.size; i++ {
			if i >= HeaderSize || used[i] {
				t.Fatalf("field at %d overlaps another or passes the header's %d bytes", f.off, HeaderSize)
			}
			used[i] = true
		}
	}
	if HdrAccountOff < BaseHeaderSize {
		t.Error("the account fields must lie past the base header, where older hosts do not read")
	}
}

// wxhook.mjs's tables and constants are this package's.
func TestJSLoaderMatches(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(filepath.Dir(conformance.Dir()), "wasm", "js", "wxhook.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	js := string(src)
	for name, want := range map[string][]string{"DIALECTS": Dialects(), "KINDS": Kinds(), "CODES": Codes()} {
		if got := jsStrings(t, js, name); !slices.Equal(got, want) {
			t.Errorf("wxhook.mjs %s = %v\ninternal/abi          %v", name, got, want)
		}
	}
	for name, want := range map[string]int{"ABI_VERSION": Version, "STATUS_OK": StatusOK, "STATUS_ERROR": StatusError,
		"STATUS_BAD_INPUT": StatusBadInput} {
		m := regexp.MustCompile(`export const ` + name + ` = (\d+);`).FindStringSubmatch(js)
		if m == nil {
			t.Errorf("wxhook.mjs has no %s", name)
		} else if got, _ := strconv.Atoi(m[1]); got != want {
			t.Errorf("wxhook.mjs %s = %d, internal/abi %d", name, got, want)
		}
	}
	m := regexp.MustCompile(`(?s)export const HEADER = \{(.*?)\};`).FindStringSubmatch(js)
	if m == nil {
		t.Fatal("wxhook.mjs has no HEADER")
	}
	got := map[string]int{}
	for _, kv := range regexp.MustCompile(`(\w+):\s*(\d+)`).FindAllStringSubmatch(m[1], -1) {
		got[kv[1]], _ = strconv.Atoi(kv[2])
	}
	want := map[string]int{"outPtr": HdrOutPtr, "outLen": HdrOutLen, "dedupOff": HdrDedupOff, "dedupLen": HdrDedupLen,
		"vendor": HdrVendor, "kind": HdrKind, "headerLen": HdrLen, "status": HdrStatus, "inPtr": HdrInPtr,
		"inCap": HdrInCap, "accountOff": HdrAccountOff, "accountLen": HdrAccountLen}
	if len(got) != len(want) {
		t.Errorf("wxhook.mjs HEADER has %d fields, internal/abi %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("wxhook.mjs HEADER.%s = %d (present %v), internal/abi %d", k, g, ok, w)
		}
	}
	// No header offset is written as a bare number outside HEADER.
	if bare := regexp.MustCompile(`hdr \+ \d|h \+ \d`).FindAllString(js, -1); len(bare) > 0 {
		t.Errorf("wxhook.mjs reads the header at literal offsets: %v", bare)
	}
}

// jsStrings returns the strings of `export const NAME = [ "a", "b", ... ];`.
func jsStrings(t *testing.T, js, name string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)export const ` + name + ` = \[(.*?)\];`).FindStringSubmatch(js)
	if m == nil {
		t.Fatalf("wxhook.mjs has no %s array", name)
	}
	var out []string
	for _, q := range regexp.MustCompile(`"[^"]*"`).FindAllString(m[1], -1) {
		out = append(out, strings.Trim(q, `"`))
	}
	return out
}
