package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/term"

	"github.com/wxhook/wxhook/decoder"
)

// defaultEngine is the engine `wxhook decode` uses without --engine: "wasm",
// the module Node and workerd run too; "native" gives the same bytes.
const defaultEngine = "wasm"

const decodeUsage = `usage: wxhook decode [--dialect auto|wecom|eyun|dll] [--engine wasm|native] [FILE…|-]

Decodes vendor callbacks to canonical JSON, one line per callback on stdout,
in input order. A FILE holds one JSON document (pretty-printed or not), or
NDJSON when its first non-blank line is a complete JSON document. "-" or no
FILE reads NDJSON from stdin; blank lines are skipped. Failures are written to
stderr as JSON lines {"input":…,"line":N,"error":{…}} (line 0: the input
could not be read). A large input gets a progress bar when stderr is a terminal.

Exit status: 0 all decoded, 1 some input failed, 2 usage error.

flags:
`

// runDecode implements `wxhook decode`. It returns the process exit status.
func runDecode(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dialectName := fs.String("dialect", "auto", "callback dialect: auto, wecom, eyun or dll")
	engineName := fs.String("engine", defaultEngine, "decoding engine: wasm or native")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), decodeUsage)
		fs.PrintDefaults()
	}
	inputs, code := parseInterspersed(fs, args)
	if code >= 0 {
		return code
	}
	dialect, ok := decoder.ParseDialect(*dialectName)
	if !ok {
		fmt.Fprintf(stderr, "wxhook decode: unknown dialect %q (want auto, wecom, eyun or dll)\n", *dialectName)
		return 2
	}
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}

	ctx := context.Background()
	eng, err := openEngine(ctx, *engineName)
	if err != nil {
		fmt.Fprintf(stderr, "wxhook decode: %v\n", err)
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
// flags. It returns the inputs, and an exit status >= 0 when parsing ends
// the command.
func parseInterspersed(fs *flag.FlagSet, args []string) (inputs []string, code int) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0
			}
			return nil, 2
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return inputs, -1
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(inputs, rest...), -1
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
	r.prefix = append(r.prefix, `,"line":`...)

	if name == "-" {
		r.in.Reset(stdin)
		r.ndjson(0)
		return
	}
	f, err := os.Open(name)
	if err != nil {
		r.fail(0, &decoder.Error{Code: decoder.CodeInternal, Offset: -1, Detail: err.Error()})
		return
	}
	defer f.Close()
	r.in.Reset(f)

	// The first non-blank line decides: a complete JSON document means NDJSON,
	// anything else (typically a lone "{") is the start of one document.
	lineNo := 0
	for {
		line, err := r.readLine()
		if len(line) == 0 {
			if err != io.EOF {
				r.fail(lineNo, readError(err))
				return
			}
			// Nothing but blank lines: the file is one (empty) document,
			// which starts on line 1 like any whole-file document.
			r.decode(1, r.body[:0])
			return
		}
		lineNo++
		r.prog.add(len(line))
		body := trimEOL(line)
		switch {
		case isBlank(body):
			// keep looking for the first line with content
		case json.Valid(body):
			r.decode(lineNo, body)
			if err == nil {
				r.ndjson(lineNo)
			}
			return
		default:
			r.whole(lineNo, line)
			return
		}
		if err != nil {
			if err != io.EOF {
				r.fail(lineNo, readError(err))
				return
			}
			r.decode(1, r.body[:0])
			return
		}
	}
}

// whole decodes the rest of r.in, preceded by first, as one document that
// starts on line lineNo.
func (r *decodeRun) whole(lineNo int, first []byte) {
	r.body = append(r.body[:0], first...)
	for {
		more, err := r.readLine()
		r.body = append(r.body, more...)
		r.prog.add(len(more))
		if err == io.EOF {
			break
		}
		if err != nil {
			r.fail(lineNo, readError(err))
			return
		}
	}
	r.decode(lineNo, r.body)
}

// ndjson decodes the remaining lines of r.in as NDJSON; lineNo is the number
// of lines already read.
func (r *decodeRun) ndjson(lineNo int) {
	for {
		line, err := r.readLine()
		if len(line) > 0 {
			lineNo++
			r.prog.add(len(line))
			if body := trimEOL(line); !isBlank(body) {
				r.decode(lineNo, body)
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			r.fail(lineNo, readError(err))
			return
		}
	}
}

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
func (r *decodeRun) decode(lineNo int, src []byte) {
	var err error
	r.doc, _, err = r.eng.AppendDecode(r.ctx, r.doc[:0], src, r.dialect)
	if err != nil {
		var de *decoder.Error
		if !errors.As(err, &de) {
			de = &decoder.Error{Code: decoder.CodeInternal, Dialect: r.dialect, Offset: -1, Detail: err.Error()}
		}
		r.fail(lineNo, de)
	} else {
		r.doc = append(r.doc, '\n')
		r.out.Write(r.doc)
	}
	r.prog.doc(time.Now())
}

// fail writes {"input":…,"line":N,"error":{…}} to stderr.
func (r *decodeRun) fail(lineNo int, e *decoder.Error) {
	r.failed = true
	r.prog.clear()
	r.ebuf = append(r.ebuf[:0], r.prefix...)
	r.ebuf = strconv.AppendInt(r.ebuf, int64(lineNo), 10)
	r.ebuf = append(r.ebuf, ',')
	// e.AppendJSON gives {"error":{…}}: keep it without its opening brace.
	start := len(r.ebuf)
	r.ebuf = e.AppendJSON(r.ebuf)
	r.ebuf = append(r.ebuf[:start], r.ebuf[start+1:]...)
	r.ebuf = append(r.ebuf, '\n')
	r.errw.Write(r.ebuf)
}

func readError(err error) *decoder.Error {
	return &decoder.Error{Code: decoder.CodeInternal, Offset: -1, Detail: "read: " + err.Error()}
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

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
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
