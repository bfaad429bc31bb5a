package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxhook/wxhook/decoder"
)

// fixture reads a conformance callback from the repository's testdata.
func fixture(t testing.TB, dialect, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "callbacks", dialect, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compact returns the fixture as one NDJSON line (no newline).
func compact(t testing.TB, dialect, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, fixture(t, dialect, name)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// want is what the native engine makes of src: the line wxhook decode must print.
func want(t testing.TB, src []byte, d decoder.Dialect) string {
	t.Helper()
	out, _, err := decoder.NewEngine().AppendDecode(context.Background(), nil, src, d)
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	return string(out) + "\n"
}

func run(t testing.TB, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = runDecode(args, strings.NewReader(stdin), &o, &e)
	return code, o.String(), e.String()
}

// errLine is one line of stderr.
type errLine struct {
	Input string          `json:"input"`
	Line  int             `json:"line"`
	Error json.RawMessage `json:"error"`
}

func parseErrLines(t testing.TB, stderr string) []errLine {
	t.Helper()
	var out []errLine
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if l == "" {
			continue
		}
		var e errLine
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("stderr line is not JSON: %q: %v", l, err)
		}
		// The error object must read back as the canonical error.
		if _, err := decoder.ParseErrorJSON([]byte(`{"error":` + string(e.Error) + `}`)); err != nil {
			t.Fatalf("stderr error object %s: %v", e.Error, err)
		}
		out = append(out, e)
	}
	return out
}

func errCode(t testing.TB, e errLine) decoder.Code {
	t.Helper()
	de, err := decoder.ParseErrorJSON([]byte(`{"error":` + string(e.Error) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return de.Code
}

func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecodeFiles(t *testing.T) {
	wecom := fixture(t, "wecom", "seed_text_private") // pretty-printed: one document
	eyun := fixture(t, "eyun", "seed_image_private")
	dll := fixture(t, "dll", "seed_video")
	args := []string{
		writeFile(t, "wecom.json", wecom),
		writeFile(t, "eyun.json", eyun),
		writeFile(t, "dll.json", dll),
	}
	code, stdout, stderr := run(t, "", args...)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	wantOut := want(t, wecom, decoder.Auto) + want(t, eyun, decoder.Auto) + want(t, dll, decoder.Auto)
	if stdout != wantOut {
		t.Fatalf("stdout:\n%s\nwant:\n%s", stdout, wantOut)
	}
	// Independently of the engine: the three events, in input order.
	var vendors []string
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var ev struct{ Vendor, Kind string }
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatal(err)
		}
		vendors = append(vendors, ev.Vendor+"/"+ev.Kind)
	}
	if got := strings.Join(vendors, " "); got != "wecom/text eyun/image dll/video" {
		t.Fatalf("events = %s", got)
	}
}

func TestDecodeNDJSONStdin(t *testing.T) {
	a := compact(t, "wecom", "seed_group_text")
	b := compact(t, "eyun", "seed_text_private")
	c := compact(t, "dll", "text_private")
	// Blank lines (also with spaces and CRLF) are skipped but counted.
	in := "\n" + string(a) + "\r\n   \n" + string(b) + "\n" + `{"hello":1}` + "\n\n" + `{"seq":` + "\n" + string(c)
	for _, args := range [][]string{nil, {"-"}} {
		code, stdout, stderr := run(t, in, args...)
		if code != 1 {
			t.Fatalf("%v: exit %d, want 1", args, code)
		}
		wantOut := want(t, a, decoder.Auto) + want(t, b, decoder.Auto) + want(t, c, decoder.Auto)
		if stdout != wantOut {
			t.Fatalf("%v: stdout:\n%s\nwant:\n%s", args, stdout, wantOut)
		}
		errs := parseErrLines(t, stderr)
		if len(errs) != 2 {
			t.Fatalf("%v: %d error lines, want 2: %s", args, len(errs), stderr)
		}
		if errs[0].Input != "-" || errs[0].Line != 5 || errCode(t, errs[0]) != decoder.CodeUnknownDialect {
			t.Errorf("%v: first error %+v %s", args, errs[0], errs[0].Error)
		}
		if errs[1].Input != "-" || errs[1].Line != 7 || errCode(t, errs[1]) != decoder.CodeNotJSON {
			t.Errorf("%v: second error %+v %s", args, errs[1], errs[1].Error)
		}
	}
}

func TestDecodeNDJSONFile(t *testing.T) {
	a := compact(t, "wecom", "seed_image")
	b := compact(t, "dll", "voice")
	p := writeFile(t, "events.ndjson", []byte(string(a)+"\n\n"+string(b)+"\n[]\n"))
	code, stdout, stderr := run(t, "", p)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	if w := want(t, a, decoder.Auto) + want(t, b, decoder.Auto); stdout != w {
		t.Fatalf("stdout:\n%s\nwant:\n%s", stdout, w)
	}
	errs := parseErrLines(t, stderr)
	if len(errs) != 1 || errs[0].Input != p || errs[0].Line != 4 || errCode(t, errs[0]) != decoder.CodeNotJSON {
		t.Fatalf("errors: %s", stderr)
	}
}

func TestDecodeFileErrors(t *testing.T) {
	ok := writeFile(t, "ok.json", fixture(t, "eyun", "seed_text_private"))
	empty := writeFile(t, "empty.json", nil)
	blank := writeFile(t, "blank.json", []byte("\n  \n\t\n"))
	truncated := writeFile(t, "truncated.json", fixture(t, "invalid", "truncated"))
	missing := filepath.Join(t.TempDir(), "missing.json")
	dir := t.TempDir()

	code, stdout, stderr := run(t, "", empty, missing, blank, truncated, dir, ok)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	// The good file after the bad ones is still decoded.
	if w := want(t, fixture(t, "eyun", "seed_text_private"), decoder.Auto); stdout != w {
		t.Fatalf("stdout %q, want %q", stdout, w)
	}
	errs := parseErrLines(t, stderr)
	if len(errs) != 5 {
		t.Fatalf("%d error lines: %s", len(errs), stderr)
	}
	cases := []struct {
		input string
		line  int
		code  decoder.Code
	}{
		{empty, 1, decoder.CodeEmpty},
		{missing, 0, "not_found"},
		{blank, 1, decoder.CodeEmpty},
		{truncated, 1, decoder.CodeNotJSON},
		{dir, 0, "is_directory"},
	}
	for i, c := range cases {
		if errs[i].Input != c.input || errs[i].Line != c.line || errCode(t, errs[i]) != c.code {
			t.Errorf("error %d = %+v %s, want %s line %d %s", i, errs[i], errs[i].Error, c.input, c.line, c.code)
		}
	}
}

func TestDecodeDialectFlag(t *testing.T) {
	eyun := compact(t, "eyun", "seed_text_private")
	code, stdout, stderr := run(t, string(eyun)+"\n", "--dialect", "eyun")
	if code != 0 || stdout != want(t, eyun, decoder.Eyun) {
		t.Fatalf("--dialect eyun: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, string(eyun)+"\n", "--dialect=wecom")
	if code != 1 || stdout != "" {
		t.Fatalf("--dialect wecom: exit %d stdout %q", code, stdout)
	}
	errs := parseErrLines(t, stderr)
	if len(errs) != 1 || errCode(t, errs[0]) != decoder.CodeWrongDialect {
		t.Fatalf("--dialect wecom: stderr %s", stderr)
	}
}

// TestDecodeFlagsAnywhere: flags may follow the inputs; "--" ends flags.
func TestDecodeFlagsAnywhere(t *testing.T) {
	eyun := fixture(t, "eyun", "seed_text_private")
	p := writeFile(t, "eyun.json", eyun)
	code, stdout, stderr := run(t, "", p, "--dialect", "eyun")
	if code != 0 || stdout != want(t, eyun, decoder.Eyun) {
		t.Fatalf("flag after input: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	code, _, stderr = run(t, "", "--dialect=wecom", p)
	if code != 1 || !strings.Contains(stderr, `"wrong_dialect"`) {
		t.Fatalf("flag before input: exit %d stderr %q", code, stderr)
	}
	// After "--", "--dialect" is a file name (which does not exist).
	code, stdout, stderr = run(t, "", "--", p, "--dialect")
	errs := parseErrLines(t, stderr)
	if code != 1 || stdout != want(t, eyun, decoder.Auto) || len(errs) != 1 || errs[0].Input != "--dialect" {
		t.Fatalf("after --: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

func TestDecodeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--dialect", "qq"},
		{"--engine", "jvm"},
		{"--no-such-flag"},
		{"--dialect"},
		{"--dialect", ""},
		{"--dialect="},
	} {
		code, stdout, stderr := run(t, "", args...)
		// One line saying what is wrong, one saying where the help is:
		// not the whole help after a typo.
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != 2 || stdout != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], "wxhook decode: ") ||
			lines[1] != `see "wxhook decode --help"` {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	if code, _, stderr := run(t, "", "-h"); code != 0 || !strings.Contains(stderr, "usage: wxhook decode") {
		t.Errorf("-h: exit %d, stderr %q", code, stderr)
	}
}

// TestDecodeLongLine feeds a 2 MB NDJSON line, beyond any default line limit.
func TestDecodeLongLine(t *testing.T) {
	text := strings.Repeat("长文本", 2<<20/9+1) // > 2 MB of UTF-8
	line := `{"account":"180132123321","data":{"content":"` + text + `","fromUser":"wxid_6j310kguyobz22",` +
		`"msgId":1713244061,"newMsgId":769189154845429899,"self":false,"timestamp":1619157348,` +
		`"toUser":"wxid_ctqh94e1ahe722","wId":"0768a034-4292-4cf6-bd85-379312eb9dc1"},"messageType":5,` +
		`"wcId":"wxid_ctqh94e1ahe722"}`
	if len(line) < 2<<20 {
		t.Fatalf("line is only %d bytes", len(line))
	}
	short := compact(t, "dll", "text_private")
	in := string(short) + "\n" + line + "\n" + string(short) + "\n"
	code, stdout, stderr := run(t, in)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %.300s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d output lines", len(lines))
	}
	var ev struct{ Kind, Text string }
	if err := json.Unmarshal([]byte(lines[1]), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != "text" || ev.Text != text {
		t.Fatalf("kind %q, text of %d bytes, want %d", ev.Kind, len(ev.Text), len(text))
	}
	if lines[0] != lines[2] || lines[0]+"\n" != want(t, short, decoder.Auto) {
		t.Fatalf("short lines around the long one differ")
	}
	// The same line as a file, with and without a final newline.
	for _, body := range []string{line, line + "\n"} {
		code, stdout, _ := run(t, "", writeFile(t, "long.json", []byte(body)))
		if code != 0 || stdout != lines[1]+"\n" {
			t.Fatalf("file: exit %d, %d bytes out", code, len(stdout))
		}
	}
}

// TestDecodeNoPerLineAllocs checks that the hot loop does not allocate per
// callback: decoding 1000 lines costs no more allocations than 10 lines
// (beyond buffers growing, which happens on the first lines of both runs).
func TestDecodeNoPerLineAllocs(t *testing.T) {
	line := string(compact(t, "wecom", "seed_text_private")) + "\n"
	allocs := func(n int) float64 {
		in := strings.Repeat(line, n)
		var out, errb bytes.Buffer
		out.Grow(n * 2048)
		return testing.AllocsPerRun(5, func() {
			out.Reset()
			// The native engine allocates nothing per callback, so whatever
			// is counted here is the command's own.
			if code := runDecode([]string{"--engine", "native"}, strings.NewReader(in), &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
		})
	}
	few, many := allocs(10), allocs(1000)
	if many > few+2 {
		t.Fatalf("10 lines: %.0f allocs, 1000 lines: %.0f allocs: the loop allocates per line", few, many)
	}
}

func TestProgressRender(t *testing.T) {
	start := time.Unix(1700000000, 0)
	p := progress{total: 200 << 20, read: 50 << 20, docs: 1234, start: start}
	got := string(p.render(nil, start.Add(2*time.Second)))
	w := "\r[#######                       ] 25.0%  50.0/200.0 MiB  1234 docs\x1b[K"
	if got != w {
		t.Errorf("files: %q\nwant   %q", got, w)
	}
	p = progress{docs: 5000, start: start}
	if got, w := string(p.render(nil, start.Add(2*time.Second))), "\r5000 docs  2500/s\x1b[K"; got != w {
		t.Errorf("stdin: %q, want %q", got, w)
	}
}

// TestProgressNotATerminal: the bar is never drawn when stderr is not a
// terminal, however long the run.
func TestProgressNotATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var p progress
	start := time.Now()
	p.init(nil, f, strings.NewReader(""), []string{"-"}, start)
	if p.on {
		t.Fatal("progress on for a regular file")
	}
	p.doc(start.Add(time.Hour)) // must not touch the nil writer
}

// TestDecodeStreamsStdin: each callback's line is written out as soon as
// stdin has no more input ready, not when the output buffer fills or stdin
// ends, so that wxhook decode works at the end of a live pipe.
func TestDecodeStreamsStdin(t *testing.T) {
	line := compact(t, "dll", "text_private")
	wantLine := want(t, line, decoder.Auto)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := runDecode(nil, inR, outW, io.Discard)
		outW.Close()
		done <- code
	}()
	lines := make(chan string)
	go func() {
		br := bufio.NewReader(outR)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- l
		}
	}()
	for i := range 3 {
		if _, err := inW.Write(append(line, '\n')); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-lines:
			if got != wantLine {
				t.Fatalf("line %d: %q, want %q", i, got, wantLine)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("line %d was not written while stdin stayed open", i)
		}
	}
	inW.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestDecodeEngines: every engine prints the same bytes, on stdout and on
// stderr, for every conformance fixture, valid or not.
func TestDecodeEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the WebAssembly module")
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "callbacks", "*", "*.json"))
	if err != nil || len(files) < 50 {
		t.Fatalf("%d fixtures: %v", len(files), err)
	}
	var ref struct {
		code           int
		stdout, stderr string
	}
	for i, engine := range []string{"native", "wasm"} {
		code, stdout, stderr := run(t, "", append([]string{"--engine", engine}, files...)...)
		if i == 0 {
			ref.code, ref.stdout, ref.stderr = code, stdout, stderr
			// Some fixtures are invalid by design, the others decode.
			if code != 1 || strings.Count(stdout, "\n") < 40 || stderr == "" {
				t.Fatalf("native: exit %d, %d lines out", code, strings.Count(stdout, "\n"))
			}
			continue
		}
		if code != ref.code || stdout != ref.stdout || stderr != ref.stderr {
			t.Errorf("%s differs from native: exit %d vs %d\nstderr:\n%s\nnative stderr:\n%s",
				engine, code, ref.code, stderr, ref.stderr)
		}
	}
}

// TestDecodeDocumentStream: stdin and files may hold any sequence of JSON
// documents — pretty-printed ones one after the other (cat *.json), NDJSON,
// or values run together — and every one is decoded.
func TestDecodeDocumentStream(t *testing.T) {
	a := fixture(t, "wecom", "seed_text_private")
	b := fixture(t, "eyun", "seed_image_private")
	c := compact(t, "dll", "text_private")
	wantOut := want(t, a, decoder.Auto) + want(t, b, decoder.Auto) + want(t, c, decoder.Auto)
	for name, in := range map[string]string{
		"pretty":        string(a) + string(b) + string(c),
		"pretty spaced": "\n" + string(a) + "\n\n  " + string(b) + "\r\n" + string(c) + "\n\n",
		"run together":  string(compact(t, "wecom", "seed_text_private")) + string(compact(t, "eyun", "seed_image_private")) + " " + string(c),
	} {
		code, stdout, stderr := run(t, in)
		if code != 0 || stderr != "" || stdout != wantOut {
			t.Errorf("%s on stdin: exit %d stderr %s\nstdout:\n%s", name, code, stderr, stdout)
		}
		code, stdout, stderr = run(t, "", writeFile(t, "in.json", []byte(in)))
		if code != 0 || stderr != "" || stdout != wantOut {
			t.Errorf("%s in a file: exit %d stderr %s\nstdout:\n%s", name, code, stderr, stdout)
		}
	}
}

// TestDecodeStreamErrorPositions: each error line names the input, the
// document's number, its first line and its byte offset in the input.
func TestDecodeStreamErrorPositions(t *testing.T) {
	a := fixture(t, "wecom", "seed_text_private")
	b := fixture(t, "eyun", "seed_text_private")
	in := string(a) + "{\"hello\":1}\n<xml>hi</xml>\n" + string(b) + `{"seq":` + "\n" + string(a) + "\n[1,\n"
	code, stdout, stderr := run(t, in)
	if code != 1 || stdout != want(t, a, decoder.Auto)+want(t, b, decoder.Auto)+want(t, a, decoder.Auto) {
		t.Fatalf("exit %d stdout:\n%s", code, stdout)
	}
	type errAt struct {
		Input     string
		Doc, Line int
		Offset    int
		Error     struct{ Code string }
	}
	var errs []errAt
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		var e errAt
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		errs = append(errs, e)
	}
	lineOf := func(off int) int { return strings.Count(in[:off], "\n") + 1 }
	offA := len(a)
	offXML := strings.Index(in, "<xml>")
	offSeq := strings.Index(in, `{"seq":`)
	offArr := strings.LastIndex(in, "[1,")
	wantErrs := []struct {
		doc, offset int
		code        string
	}{{2, offA, "unknown_dialect"}, {3, offXML, "not_json"}, {5, offSeq, "not_json"}, {7, offArr, "not_json"}}
	if len(errs) != len(wantErrs) {
		t.Fatalf("%d errors: %s", len(errs), stderr)
	}
	for i, w := range wantErrs {
		e := errs[i]
		if e.Input != "-" || e.Doc != w.doc || e.Offset != w.offset || e.Line != lineOf(w.offset) || e.Error.Code != w.code {
			t.Errorf("error %d: %+v, want doc %d offset %d line %d %s", i, e, w.doc, w.offset, lineOf(w.offset), w.code)
		}
	}
}

// TestDecodeEveryFixtureAsOneStream: all the fixtures in one stream (cat
// testdata/callbacks/*/*.json | wxhook decode) give what they give as files
// one by one, the invalid ones included: a truncated document does not
// swallow the next.
func TestDecodeEveryFixtureAsOneStream(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "callbacks", "*", "*.json"))
	if err != nil || len(files) < 50 {
		t.Fatalf("%d fixtures: %v", len(files), err)
	}
	var cat bytes.Buffer
	var wantOut strings.Builder
	wantErrs := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if len(bytes.TrimSpace(b)) == 0 || b[0] != '{' {
			continue // not a document by itself (tested as files elsewhere)
		}
		cat.Write(b)
		if b[len(b)-1] != '\n' {
			cat.WriteByte('\n')
		}
		_, stdout, stderr := run(t, "", "--engine", "native", f)
		wantOut.WriteString(stdout)
		if stderr != "" {
			wantErrs++
		}
	}
	_, stdout, stderr := run(t, cat.String(), "--engine", "native")
	if stdout != wantOut.String() {
		t.Errorf("stream output differs from the files' (%d vs %d lines)", strings.Count(stdout, "\n"), strings.Count(wantOut.String(), "\n"))
	}
	if n := len(parseErrLines(t, stderr)); n != wantErrs {
		t.Errorf("%d errors in the stream, %d for the files one by one:\n%s", n, wantErrs, stderr)
	}
}
