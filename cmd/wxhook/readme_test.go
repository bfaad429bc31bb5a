package main

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nodeOrSkip returns the node binary, or skips the test.
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skipf("node is not on PATH (%v): this test needs Node.js >= 20", err)
	}
	if testing.Short() {
		t.Skip("compiles the WebAssembly module in Node")
	}
	return node
}

// TestJSLoader runs the loader's own tests (wasm/js/wxhook.test.mjs): bytes
// in, bytes out, and a TypeError for a JS string.
func TestJSLoader(t *testing.T) {
	node := nodeOrSkip(t)
	cmd := exec.Command(node, "--test", "--no-warnings", filepath.Join("wasm", "js", "wxhook.test.mjs"))
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
}

// TestReadmeJSExample runs the README's JavaScript example as it is written
// there, from the repository's root: the documented call must be the real one.
func TestReadmeJSExample(t *testing.T) {
	node := nodeOrSkip(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var code string
	for _, block := range strings.Split(string(readme), "```js\n")[1:] {
		block, _, _ = strings.Cut(block, "\n```")
		if strings.Contains(block, `"./wasm/js/wxhook.mjs"`) {
			code = block
			break
		}
	}
	if code == "" {
		t.Fatal("README.md has no ```js block importing ./wasm/js/wxhook.mjs")
	}
	// Run from a temporary file, importing the loader by its absolute URL;
	// the file paths in the example stay relative to the root.
	loader := (&url.URL{Scheme: "file", Path: filepath.Join(root, "wasm", "js", "wxhook.mjs")}).String()
	script := filepath.Join(t.TempDir(), "example.mjs")
	if err := os.WriteFile(script, []byte(strings.Replace(code, `"./wasm/js/wxhook.mjs"`, `"`+loader+`"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--no-warnings", script)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README example fails: %v\n%s", err, out)
	}
	// vendor, kind, the event's id and its dedup key.
	if got := string(out); !strings.HasPrefix(got, "eyun text 769189154845429899 ") {
		t.Fatalf("the README example printed %q", got)
	}
}
