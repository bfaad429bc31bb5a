package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker"
)

// defaultEngine is the engine `wxhook decode` uses without --engine: "wasm",
// the module Node and workerd run too; "native" gives the same bytes.
const defaultEngine = "wasm"

const decodeUsage = `usage: wxhook decode [--dialect auto|wecom|eyun|dll|gewe] [--engine wasm|native] [FILE…|-]

Decodes vendor callbacks to canonical JSON, one line per callback on stdout,
in input order. Each FILE, and stdin ("-" or no FILE), holds a stream of
JSON documents: one pretty-printed document, several one after the other
(cat *.json), NDJSON, or values run together. A line starting with "{" ends
a document left open (a truncated line does not swallow the next). Failures
are written to stderr as JSON lines
{"input":…,"doc":D,"line":L,"offset":O,"error":{…}}: the D-th document of
the input, starting on line L at byte offset O (doc 0: the input itself
could not be read: not_found, is_directory, read_failed). A large input gets
a progress bar when stderr is a terminal.

Exit status: 0 all decoded, 1 some input failed, 2 usage error.

flags:
`

// runDecode implements `wxhook decode`. It returns the process exit status.
func runDecode(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("decode")
	dialectName := fs.String("dialect", "auto", "callback dialect: auto, wecom, eyun, dll or gewe")
	engineName := fs.String("engine", defaultEngine, "decoding engine: wasm or native")
	inputs, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		showHelp(stderr, fs, decodeUsage)
		return 0
	}
	if err != nil {
		flagError(stderr, "decode", err)
		return 2
	}
	dialect, ok := decoder.ParseDialect(*dialectName)
	if !ok || *dialectName == "" {
		flagError(stderr, "decode", fmt.Errorf("unknown dialect %q (want auto, %s)", *dialectName, strings.Join(worker.VendorNames(), ", ")))
		return 2
	}
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}

	if *engineName != "wasm" && *engineName != "native" {
		flagError(stderr, "decode", fmt.Errorf("unknown engine %q (want wasm or native)", *engineName))
		return 2
	}
	ctx := context.Background()
	eng, err := openEngine(ctx, *engineName)
	if err != nil {
		fmt.Fprintf(stderr, "wxhook decode: engine %s: %v\n", *engineName, err)
		return 2
	}
	defer eng.Close(ctx)

	r := &decodeRun{
		ctx:     ctx,
		eng:     eng,
		dialect: dialect,
		out:     bufio.NewWriterSize(stdout, 256<<10),
		errw:    bufio.NewWriterSize(stderr, 16<<10),
		in:      bufio.NewReaderSize(nil, 256<<10),
	}
	r.prog.init(r.errw, stderr, stdin, inputs, time.Now())
	for _, name := range inputs {
		r.input(name, stdin)
	}
	r.prog.clear()
	if err := r.out.Flush(); err != nil {
		fmt.Fprintf(stderr, "wxhook decode: writing output: %v\n", err)
		r.failed = true
	}
	r.errw.Flush()
	if r.failed {
		return 1
	}
	return 0
}

// parseInterspersed parses flags placed before, between or after the inputs
// (the flag package stops at the first non-flag argument); "--" ends the
// flags. It returns the inputs, or the flag package's error (flag.ErrHelp
// for -h).
func parseInterspersed(fs *flag.FlagSet, args []string) (inputs []string, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return inputs, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(inputs, rest...), nil
		}
		inputs = append(inputs, rest[0])
		args = rest[1:]
	}
}

// decodeRun is the state of one `wxhook decode` invocation. Its buffers are
// reused for every line so that the hot loop does not allocate.
type decodeRun struct {
	ctx     context.Context
	eng     decoder.Engine
	dialect decoder.Dialect
	out     *bufio.Writer // stdout
	errw    *bufio.Writer // stderr: error lines and the progress bar
	in      *bufio.Reader // reset for every input
	line    []byte        // a line that did not fit in the reader's buffer
	body    []byte        // a whole-file document
	doc     []byte        // canonical JSON of the current callback
	ebuf    []byte        // an error line
	prefix  []byte        // `{"input":"<name>","line":` of the current input
	failed  bool
	prog    progress
}

// input decodes one input: a file name or "-" for stdin.
func (r *decodeRun) input(name string, stdin io.Reader) {
	r.prefix = append(r.prefix[:0], `{"input":`...)
	q, _ := json.Marshal(name) // a string always marshals
	r.prefix = append(r.prefix, q...)

	if name == "-" {
		r.in.Reset(stdin)
		r.stream(false)
		return
	}
	f, err := os.Open(name)
	if err != nil {
		r.fail(pos{}, openError(err))
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		r.fail(pos{}, decoder.NewError(codeIsDirectory, decoder.Auto, name+" is a directory; give the files in it ("+name+"/*.json)"))
		return
	}
	r.in.Reset(f)
	r.stream(true)
}

// Codes of input errors (the decoder's own codes are for the documents).
const (
	codeNotFound    decoder.Code = "not_found"    // no such input file
	codeIsDirectory decoder.Code = "is_directory" // the input is a directory
	codeReadFailed  decoder.Code = "read_failed"  // the input could not be read
)

func openError(err error) *decoder.Error {
	if errors.Is(err, fs.ErrNotExist) {
		return decoder.NewError(codeNotFound, decoder.Auto, err.Error())
	}
	return decoder.NewError(codeReadFailed, decoder.Auto, err.Error())
}

// pos is where a document starts in its input: its number (from 1), its
// line (from 1) and its byte offset (from 0). The zero pos is the input as
// a whole (it could not be opened or read).
type pos struct {
	doc, line int
	offset    int64
}

// docScan finds where a JSON value ends without parsing it: it tracks
// nesting and strings only, and the decoder judges the value.
type docScan struct {
	depth  int
	scalar bool // a value that is not an object, array or string: ends with its line
	inStr  bool
	esc    bool
	last   byte   // the last byte outside strings that is not white space ('"' after a string)
	arrays []bool // per open bracket: true for '[', false for '{'
}

// continuesWith reports whether an open value goes on with the object
// that starts a line: only after '[' or, inside an array, ','. That is
// where pretty-printers break a line before '{' (JSON.stringify, Go's
// MarshalIndent, Python's json.dumps, and the vendors' documents, printed
// with no indentation at all). Anywhere else — inside a string, which
// cannot hold a line break; after a member's ','; after ':' , where
// printers keep '{' on the key's line — the open value was cut short (a
// truncated NDJSON line) and the '{' starts the next document.
func (s *docScan) continuesWith() bool {
	if s.inStr {
		return false
	}
	switch s.last {
	case '[':
		return true
	case ',':
		return len(s.arrays) > 0 && s.arrays[len(s.arrays)-1]
	}
	return false
}

// scan returns the length of b up to the end of the value (the byte after
// its closing bracket or quote), or -1 if it goes on past b. b starts at
// the value's first byte or continues it.
func (s *docScan) scan(b []byte) int {
	if s.scalar {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return i
		}
		return -1
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if s.inStr {
			switch {
			case s.esc:
				s.esc = false
			case c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = false
				s.last = '"'
				if s.depth == 0 {
					return i + 1
				}
			}
			continue
		}
		if !isSpace(c) {
			s.last = c
		}
		switch c {
		case '"':
			s.inStr = true
		case '{', '[':
			s.depth++
			s.arrays = append(s.arrays, c == '[')
		case '}', ']':
			s.depth--
			if len(s.arrays) > 0 {
				s.arrays = s.arrays[:len(s.arrays)-1]
			}
			if s.depth <= 0 {
				return i + 1
			}
		}
	}
	return -1
}

// start begins a value at its first byte c.
func (s *docScan) start(c byte) {
	*s = docScan{scalar: c != '{' && c != '[' && c != '"', arrays: s.arrays[:0]}
}

// stream decodes r.in as a stream of JSON documents: NDJSON, one
// pretty-printed document, or documents one after the other, separated by
// whitespace or not. A value that is not an object, array or string (a
// number, or garbage such as <xml>) is one document up to the end of its
// line. A line starting with '{' where the open document cannot go on with
// an object (docScan.continuesWith) ends that document (a truncated line,
// reported as such) instead of being swallowed into it. whole reports an input
// with no document at all as one empty document (a file), not as nothing
// (stdin).
func (r *decodeRun) stream(whole bool) {
	var (
		lineNo   int
		offset   int64 // of the current line in the input
		docs     int
		open     bool // a document is being read
		at       pos  // where it started
		fromLine bool // it started on the current line (r.body unused)
		sc       docScan
	)
	finish := func(src []byte) {
		r.decode(at, src)
		open = false
	}
	for {
		line, err := r.readLine()
		if len(line) > 0 {
			lineNo++
			r.prog.add(len(line))
			i := 0
			if open && line[0] == '{' && !sc.continuesWith() {
				finish(r.body) // truncated: the next document begins here
			}
			fromLine = !open
			for i < len(line) {
				if !open {
					for i < len(line) && isSpace(line[i]) {
						i++
					}
					if i == len(line) {
						break
					}
					docs++
					at = pos{doc: docs, line: lineNo, offset: offset + int64(i)}
					open, fromLine = true, true
					r.body = r.body[:0]
					sc.start(line[i]) // scan below takes the first byte too
				}
				begin := i
				n := sc.scan(line[i:])
				if n < 0 {
					r.body = append(r.body, line[begin:]...)
					fromLine = false
					break
				}
				i += n
				if fromLine && len(r.body) == 0 {
					finish(trimEOL(line[begin:i]))
				} else {
					r.body = append(r.body, line[begin:i]...)
					finish(trimEOL(r.body))
				}
			}
			offset += int64(len(line))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			r.fail(pos{line: lineNo, offset: offset}, readError(err))
			return
		}
	}
	switch {
	case open:
		finish(r.body) // truncated at the end of the input
	case docs == 0 && whole:
		// Nothing but blank lines: the file is one (empty) document,
		// which starts on line 1 like any whole-file document.
		r.decode(pos{doc: 1, line: 1}, nil)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// readLine returns the next line (see readLongLine), first handing over
// what is decoded so far when it is about to wait for input, so that a
// stream (tail -f … | wxhook decode) is not held back.
func (r *decodeRun) readLine() ([]byte, error) {
	if r.in.Buffered() == 0 {
		r.out.Flush()
		r.errw.Flush()
	}
	return readLongLine(r.in, &r.line)
}

// readLongLine returns the next line of in including its '\n' (none at the
// end of the input), of any length. The line aliases in's buffer when it
// fits, *long (which it grows) otherwise; either way it is valid until the
// next call.
func readLongLine(in *bufio.Reader, long *[]byte) ([]byte, error) {
	chunk, err := in.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return chunk, err
	}
	*long = append((*long)[:0], chunk...)
	for err == bufio.ErrBufferFull {
		chunk, err = in.ReadSlice('\n')
		*long = append(*long, chunk...)
	}
	return *long, err
}

// decode decodes one callback and writes its canonical JSON or its error line.
func (r *decodeRun) decode(at pos, src []byte) {
	var err error
	r.doc, _, err = r.eng.AppendDecode(r.ctx, r.doc[:0], src, r.dialect)
	if err != nil {
		var de *decoder.Error
		if !errors.As(err, &de) {
			de = decoder.NewError(decoder.CodeInternal, r.dialect, err.Error())
		}
		r.fail(at, de)
	} else {
		r.doc = append(r.doc, '\n')
		r.out.Write(r.doc)
	}
	r.prog.doc(time.Now())
}

// fail writes {"input":…,"doc":D,"line":L,"offset":O,"error":{…}} to
// stderr: the input, where the document starts in it (doc 0: the input as a
// whole), and the decoder's error, whose own offset is within the document.
func (r *decodeRun) fail(at pos, e *decoder.Error) {
	r.failed = true
	r.prog.clear()
	r.ebuf = append(r.ebuf[:0], r.prefix...)
	r.ebuf = append(r.ebuf, `,"doc":`...)
	r.ebuf = strconv.AppendInt(r.ebuf, int64(at.doc), 10)
	r.ebuf = append(r.ebuf, `,"line":`...)
	r.ebuf = strconv.AppendInt(r.ebuf, int64(at.line), 10)
	r.ebuf = append(r.ebuf, `,"offset":`...)
	r.ebuf = strconv.AppendInt(r.ebuf, at.offset, 10)
	r.ebuf = append(r.ebuf, ',')
	// e.AppendJSON gives {"error":{…}}: keep it without its opening brace.
	start := len(r.ebuf)
	r.ebuf = e.AppendJSON(r.ebuf)
	r.ebuf = append(r.ebuf[:start], r.ebuf[start+1:]...)
	r.ebuf = append(r.ebuf, '\n')
	r.errw.Write(r.ebuf)
}

func readError(err error) *decoder.Error {
	return decoder.NewError(codeReadFailed, decoder.Auto, "read: "+err.Error())
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// progress draws a one-line progress bar on stderr when stderr is a terminal
// and the input is large: bytes read out of the total for files, callbacks
// per second for stdin (whose size is unknown). It redraws at most every
// progressEvery, so the cost per callback is one clock read.
type progress struct {
	w       *bufio.Writer
	on      bool
	total   int64 // bytes of all input files; 0 when stdin is read
	read    int64
	docs    int64
	start   time.Time
	last    time.Time
	drawn   bool
	scratch []byte
}

const (
	progressEvery = 100 * time.Millisecond
	// progressMinBytes is the input size from which files get a bar; stdin
	// gets one once decoding has taken progressDelay.
	progressMinBytes = 8 << 20
	progressDelay    = time.Second
)

func (p *progress) init(w *bufio.Writer, stderr, stdin any, inputs []string, now time.Time) {
	p.w, p.start, p.last = w, now, now
	if !isTerminal(stderr) {
		return
	}
	for _, name := range inputs {
		if name == "-" {
			// Someone typing callbacks by hand needs no bar over the echo.
			p.total = 0
			p.on = !isTerminal(stdin)
			return
		}
		if st, err := os.Stat(name); err == nil {
			p.total += st.Size()
		}
	}
	p.on = p.total >= progressMinBytes
}

func isTerminal(f any) bool {
	fd, ok := f.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(fd.Fd()))
}

// add counts bytes read.
func (p *progress) add(n int) { p.read += int64(n) }

// doc counts one decoded callback and redraws if it is time to.
func (p *progress) doc(now time.Time) {
	p.docs++
	if !p.on || now.Sub(p.last) < progressEvery {
		return
	}
	if p.total == 0 && now.Sub(p.start) < progressDelay {
		return
	}
	p.last = now
	p.scratch = p.render(p.scratch[:0], now)
	p.w.Write(p.scratch)
	p.w.Flush()
	p.drawn = true
}

// render appends the bar: "\r[#####     ]  42.0%  112.5/268.0 MiB  51234 docs"
// for files, "\r51234 docs  8123/s" for stdin.
func (p *progress) render(b []byte, now time.Time) []byte {
	const width = 30
	b = append(b, '\r')
	if p.total > 0 {
		frac := float64(p.read) / float64(p.total)
		frac = min(max(frac, 0), 1)
		fill := int(frac * width)
		b = append(b, '[')
		for i := range width {
			if i < fill {
				b = append(b, '#')
			} else {
				b = append(b, ' ')
			}
		}
		b = append(b, "] "...)
		b = strconv.AppendFloat(b, frac*100, 'f', 1, 64)
		b = append(b, "%  "...)
		b = strconv.AppendFloat(b, float64(p.read)/(1<<20), 'f', 1, 64)
		b = append(b, '/')
		b = strconv.AppendFloat(b, float64(p.total)/(1<<20), 'f', 1, 64)
		b = append(b, " MiB  "...)
	}
	b = strconv.AppendInt(b, p.docs, 10)
	b = append(b, " docs"...)
	if p.total == 0 {
		rate := 0.0
		if el := now.Sub(p.start).Seconds(); el > 0 {
			rate = float64(p.docs) / el
		}
		b = append(b, "  "...)
		b = strconv.AppendFloat(b, rate, 'f', 0, 64)
		b = append(b, "/s"...)
	}
	return append(b, "\x1b[K"...)
}

// clear erases the bar so that an error line or the shell prompt starts on a
// clean line.
func (p *progress) clear() {
	if p.drawn {
		p.w.WriteString("\r\x1b[K")
		p.w.Flush()
		p.drawn = false
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}
