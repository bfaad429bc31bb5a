package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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

// TestSchemaDocumentsEveryTopLevelField: every top-level field of an event
// decoded from the conformance fixtures has its row in docs/SCHEMA.md: a
// field row (| `name` | …) or, for an object, its kind's row.
func TestSchemaDocumentsEveryTopLevelField(t *testing.T) {
	schema, err := os.ReadFile(filepath.Join("..", "..", "docs", "SCHEMA.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, l := range strings.Split(string(schema), "\n") {
		// "Vendor fields with no canonical home" lists each vendor's
		// object as "- `name`: …".
		if name, ok := strings.CutPrefix(l, "- `"); ok {
			if name, _, ok := strings.Cut(name, "`:"); ok {
				documented[name] = true
			}
			continue
		}
		if !strings.HasPrefix(l, "| ") {
			continue
		}
		cells := strings.Split(l, "|")
		if len(cells) < 3 {
			continue
		}
		// A field row names the field in its first cell; a kind row its
		// objects in its second.
		for _, cell := range cells[1:3] {
			for i, part := range strings.Split(cell, "`") {
				if i%2 == 1 {
					documented[part] = true
				}
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "callbacks", "*", "*.json"))
	if err != nil || len(files) < 50 {
		t.Fatalf("%d fixtures: %v", len(files), err)
	}
	var in strings.Builder
	for _, f := range files {
		b, _ := os.ReadFile(f)
		in.Write(b)
		in.WriteByte('\n')
	}
	_, stdout, _ := run(t, in.String(), "--engine", "native")
	seen := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var ev map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatal(err)
		}
		for k := range ev {
			if !documented[k] && seen[k] == "" {
				seen[k] = l
				t.Errorf("top-level field %q is not in docs/SCHEMA.md's tables (e.g. %.200s)", k, l)
			}
		}
	}
}

// TestWorkerReadmeReplaySummary: the summary lines worker/README.md shows
// are the ones wxhook replay prints.
func TestWorkerReadmeReplaySummary(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "worker", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(doc)), " ") // lines joined
	format := func(prefix string) string {
		i := strings.Index(text, "`"+prefix)
		if i < 0 {
			t.Fatalf("worker/README.md shows no summary starting %q", prefix)
		}
		f, _, _ := strings.Cut(text[i+1:], "`")
		return f
	}
	// Fill the documented format with numbers, letter by letter.
	fill := func(f string, n map[string]int) string {
		words := strings.Split(f, " ")
		for i, w := range words {
			letter := strings.Trim(w, "(),")
			if v, ok := n[letter]; ok && len(letter) == 1 {
				words[i] = strings.Replace(w, letter, strconv.Itoa(v), 1)
			}
		}
		return strings.Join(words, " ") + "\n"
	}
	var stderr strings.Builder
	r := newReplayRun(context.Background(), &replayConfig{}, io.Discard, &stderr)
	r.sent, r.noAnswer, r.ok2xx, r.duplicates, r.non2xx, r.skipped, r.unread = 5, 2, 4, 3, 1, 6, 7
	r.summary()
	if want := fill(format("wxhook replay: sent N"), map[string]int{"N": 7, "A": 4, "D": 3, "B": 1, "C": 2, "S": 6, "U": 7}); stderr.String() != want {
		t.Errorf("summary:\n%s\nworker/README.md:\n%s", stderr.String(), want)
	}
	stderr.Reset()
	r = newReplayRun(context.Background(), &replayConfig{dryRun: true}, io.Discard, &stderr)
	r.wouldSend, r.skipped, r.unread = 3, 1, 0
	r.summary()
	if want := fill(format("wxhook replay: dry run"), map[string]int{"N": 3, "S": 1, "U": 0}); stderr.String() != want {
		t.Errorf("dry-run summary:\n%s\nworker/README.md:\n%s", stderr.String(), want)
	}
}

// TestReadmeCurlExample runs the README's curl command against serve
// --insecure (in-process, on a free port instead of 8080): the first hour's
// first request must work as written.
func TestReadmeCurlExample(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl")
	}
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, l := range strings.Split(string(readme), "\n") {
		if rest, ok := strings.CutPrefix(l, "    curl "); ok && strings.Contains(rest, "http://127.0.0.1:8080/hook/") {
			args = strings.Fields(rest)
			break
		}
	}
	if args == nil {
		t.Fatal("README.md shows no curl command against http://127.0.0.1:8080/hook/…")
	}
	port := freePort(t)
	for i, a := range args {
		args[i] = strings.Replace(a, "127.0.0.1:8080", fmt.Sprintf("127.0.0.1:%d", port), 1)
	}
	tmp := t.TempDir()
	events := filepath.Join(tmp, "events.ndjson")
	// The README's command line, with a file sink to look at and a free port.
	c, err := parseServe([]string{"--insecure", "--engine", "native", "--admin-addr", "off", "--data-dir", filepath.Join(tmp, "data"),
		"--sink", "file:" + events, "--addr", fmt.Sprintf("127.0.0.1:%d", port)}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
	defer stop()
	var out []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		cmd := exec.Command(curl, args...)
		cmd.Dir = root
		out, err = cmd.CombinedOutput()
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || string(out) != "{}" {
		t.Fatalf("curl %v: %v %q", args, err, out)
	}
	stop() // the file sink is flushed and closed
	b, _ := os.ReadFile(events)
	if bytes.Count(b, []byte("\n")) != 1 || !bytes.HasPrefix(b, []byte(`{"vendor":"eyun"`)) {
		t.Fatalf("events: %q", b)
	}
}
