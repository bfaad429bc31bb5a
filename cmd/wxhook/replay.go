package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wxhook/wxhook/decoder"
)

const replayUsage = `usage: wxhook replay --to URL [flags] [FILE…|-]

Replays the worker's dead letters: reads dead-letter NDJSON (the lines
"wxhook serve" writes to <data-dir>/deadletter.ndjson; that file when no FILE
is given, stdin for "-") and POSTs each selected record's body, decoded from
body_base64, to the worker at --to on the record's route, one at a time in
file order. The secret goes in the X-Wxhook-Secret header, never in the URL
(a route recorded as /hook/_/{vendor} is sent to /hook/{vendor}).

stdout: one line per selected record, tab-separated:
  FILE:LINE  ROUTE  ORIGINAL-CODE  RESULT
where RESULT is the worker's new answer ("200", "400 not_json", …) or
"dry-run". stderr: unreadable lines (FILE:LINE and why), then a summary.

Nothing is retried: rerun the command. Records the worker accepted come back
as "200" duplicates and are not delivered again (within --dedup-ttl). The
replay stops at an answer that every later record would get too: no answer
(worker down, timeout), 401/403 for the secret, 404 (--to is not the
worker's base URL).

Exit status: 0 every selected record got a 2xx answer (or, with --dry-run,
every line was readable); 1 otherwise (a non-2xx answer, an unreadable line
or file, a stop); 2 usage error.

--secret and --data-dir can also be set by WXHOOK_SECRET and WXHOOK_DATA_DIR,
as for "wxhook serve"; a flag on the command line wins.

flags:
`

// replayDataDir is "wxhook serve"'s default --data-dir (a test keeps the two
// equal).
const replayDataDir = "wxhook-data"

type replayConfig struct {
	to       *url.URL // nil only with --dry-run
	secret   string
	dataDir  string
	codes    listFlag
	statuses intListFlag
	since    time.Time // zero: no filter
	dryRun   bool
	timeout  time.Duration
	inputs   []string
}

// parseReplay parses args; WXHOOK_SECRET and WXHOOK_DATA_DIR give defaults.
// It returns flag.ErrHelp for -h.
func parseReplay(args []string, getenv func(string) string, stderr io.Writer) (*replayConfig, error) {
	c := &replayConfig{}
	var to, since string
	fs := newFlagSet("replay")
	fs.StringVar(&to, "to", "", "base URL of the running worker, e.g. http://127.0.0.1:8080 (required unless --dry-run)")
	fs.StringVar(&c.secret, "secret", "", "callback secret, sent as the X-Wxhook-Secret header")
	fs.StringVar(&c.dataDir, "data-dir", replayDataDir, "the worker's --data-dir: the default input is <data-dir>/deadletter.ndjson")
	fs.Var(&c.codes, "code", "replay only records with this error code (comma-separated or repeated), e.g. account_not_allowed")
	fs.Var(&c.statuses, "status", "replay only records the worker had answered with this HTTP status (comma-separated or repeated)")
	fs.StringVar(&since, "since", "", "replay only records written at or after this time (RFC 3339, e.g. 2026-01-02T15:04:05Z)")
	fs.BoolVar(&c.dryRun, "dry-run", false, "list the records that would be sent; send nothing")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "time limit of one POST (connect, send, answer)")

	for _, name := range []string{"secret", "data-dir"} {
		env := "WXHOOK_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if v := getenv(env); v != "" {
			if err := fs.Set(name, v); err != nil {
				return nil, fmt.Errorf("%s: %w", env, err)
			}
		}
	}
	inputs, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		showHelp(stderr, fs, replayUsage)
	}
	if err != nil {
		return nil, err
	}
	c.inputs = inputs
	if c.timeout <= 0 {
		return nil, errors.New("--timeout must be positive")
	}
	if since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			return nil, fmt.Errorf("--since %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", since)
		}
		c.since = t
	}
	if to == "" {
		if !c.dryRun {
			return nil, errors.New("--to URL is required: the base URL of the running worker, e.g. http://127.0.0.1:8080")
		}
	} else {
		u, err := parseBaseURL(to)
		if err != nil {
			return nil, err
		}
		c.to = u
	}
	if len(c.inputs) == 0 {
		c.inputs = []string{filepath.Join(c.dataDir, "deadletter.ndjson")}
	}
	return c, nil
}

// parseBaseURL checks --to: an http(s) URL of the worker itself, which may
// sit under a path prefix behind a proxy, but not a /hook route.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--to %q: want the worker's base URL, e.g. http://127.0.0.1:8080", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--to %q: no query or fragment, only the worker's base URL", s)
	}
	p := strings.TrimSuffix(u.Path, "/")
	if strings.HasSuffix(p, "/hook") || strings.Contains(p, "/hook/") {
		return nil, fmt.Errorf("--to %q: give the worker's base URL (e.g. http://127.0.0.1:8080), not a /hook route: each record's own route is used", s)
	}
	u.Path, u.RawPath = p, ""
	return u, nil
}

// replayMain is `wxhook replay` as the binary runs it: the first SIGINT or
// SIGTERM stops the replay after a summary, a second one kills.
func replayMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	return runReplay(ctx, args, os.Getenv, stdin, stdout, stderr)
}

// runReplay implements `wxhook replay`. It returns the process exit status.
func runReplay(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	c, err := parseReplay(args, getenv, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		flagError(stderr, "replay", err)
		return 2
	}
	r := newReplayRun(ctx, c, stdout, stderr)
	defer r.close()
	for _, name := range c.inputs {
		if !r.input(name, stdin) {
			break
		}
	}
	return r.summary()
}

// replayRun is the state of one `wxhook replay`.
type replayRun struct {
	ctx    context.Context
	c      *replayConfig
	client *http.Client
	tr     *http.Transport
	out    io.Writer // stdout: one line per selected record
	errw   io.Writer // stderr
	in     *bufio.Reader
	line   []byte // a line longer than the reader's buffer
	body   []byte // the decoded body
	codes  map[string]bool

	sent, ok2xx, non2xx, noAnswer int
	duplicates                    int // 2xx answers marked X-Wxhook-Duplicate
	wouldSend, skipped, unread    int
	inputFailed                   bool
	stopped                       string // why the replay stopped early
}

func newReplayRun(ctx context.Context, c *replayConfig, stdout, stderr io.Writer) *replayRun {
	r := &replayRun{ctx: ctx, c: c, out: stdout, errw: stderr, in: bufio.NewReaderSize(nil, 256<<10)}
	if len(c.codes) > 0 {
		r.codes = make(map[string]bool, len(c.codes))
		for _, code := range c.codes {
			r.codes[code] = true
		}
	}
	if c.to != nil && !c.dryRun {
		r.tr = http.DefaultTransport.(*http.Transport).Clone()
		r.tr.DialContext = (&net.Dialer{Timeout: min(c.timeout, 10*time.Second), KeepAlive: 30 * time.Second}).DialContext
		r.tr.TLSHandshakeTimeout = min(c.timeout, 10*time.Second)
		r.tr.ResponseHeaderTimeout = c.timeout
		r.client = &http.Client{
			Transport: r.tr,
			Timeout:   c.timeout,
			// A redirect is reported, not followed: following it would
			// carry the secret header to wherever it points.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return r
}

func (r *replayRun) close() {
	if r.tr != nil {
		r.tr.CloseIdleConnections()
	}
}

// input replays one input: a file name or "-" for stdin. It reports false
// when the replay stopped.
func (r *replayRun) input(name string, stdin io.Reader) bool {
	display := name
	src := stdin
	if name == "-" {
		display = "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(r.errw, "wxhook replay: %v\n", err)
			r.inputFailed = true
			return true
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			fmt.Fprintf(r.errw, "wxhook replay: %v\n", err)
			r.inputFailed = true
			return true
		}
		// Read only what the file holds now: replaying to the worker that
		// writes this file appends the records it refuses again, and
		// reading those too would replay them without end. Only a regular
		// file has a size to go by: a pipe (`<(…)`) is read to its end.
		src = f
		if st.Mode().IsRegular() {
			src = io.LimitReader(f, st.Size())
		}
	}
	wr := newWaitReader(r.ctx, src)
	defer wr.close()
	r.in.Reset(wr)
	lineNo := 0
	for {
		line, err := readLongLine(r.in, &r.line)
		if err != nil && err != io.EOF && r.ctx.Err() != nil {
			// Interrupted while waiting for input (stdin, a pipe): what
			// was read of the line is not a record.
			r.stopped = fmt.Sprintf("%s:%d: interrupted while waiting for this line", display, lineNo+1)
			return false
		}
		if len(line) > 0 {
			lineNo++
			if !r.record(display, lineNo, trimEOL(line)) {
				return false
			}
		}
		if err == io.EOF {
			return true
		}
		if err != nil {
			fmt.Fprintf(r.errw, "wxhook replay: %s:%d: read: %v\n", display, lineNo+1, err)
			r.inputFailed = true
			return true
		}
	}
}

// waitReader reads src on a goroutine of its own, so that a Read waiting
// for input gives way when ctx ends: a read from a terminal or a pipe that
// has nothing to say cannot itself be interrupted, and without this the
// first Ctrl-C would do nothing until the next line or the end of stdin.
// The goroutine reads into its own buffer, so a read that completes after
// Read has given up writes into nothing the caller holds.
type waitReader struct {
	ctx  context.Context
	src  io.Reader
	want chan int // the next read, of up to n bytes
	got  chan readResult
	buf  []byte // the goroutine's; Read copies from it once got says so
}

type readResult struct {
	n   int
	err error
}

func newWaitReader(ctx context.Context, src io.Reader) *waitReader {
	w := &waitReader{ctx: ctx, src: src, want: make(chan int), got: make(chan readResult, 1)}
	go w.loop()
	return w
}

func (w *waitReader) loop() {
	for n := range w.want {
		if cap(w.buf) < n {
			w.buf = make([]byte, n)
		}
		k, err := w.src.Read(w.buf[:n])
		w.got <- readResult{k, err}
	}
}

// Read never asks for a second read while one is under way: once ctx has
// ended and Read has given up on one, every later Read returns ctx's error
// before asking.
func (w *waitReader) Read(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	w.want <- len(p)
	select {
	case res := <-w.got:
		return copy(p, w.buf[:res.n]), res.err
	case <-w.ctx.Done():
		return 0, w.ctx.Err()
	}
}

// close ends the goroutine once it is done with its read, if any: after an
// interrupt that read may wait on stdin until the process exits.
func (w *waitReader) close() { close(w.want) }

// deadRecord is one line of deadletter.ndjson (worker/deadletter.go).
type deadRecord struct {
	Time   string  `json:"time"`
	Route  *string `json:"route"`
	Status int     `json:"status"`
	Error  *struct {
		Code string `json:"code"`
	} `json:"error"`
	BodyBase64 *string `json:"body_base64"`
}

// record handles one line. It reports false when the replay must stop.
func (r *replayRun) record(input string, lineNo int, line []byte) bool {
	if isBlank(line) {
		return true
	}
	loc := input + ":" + strconv.Itoa(lineNo)
	var rec deadRecord
	if err := json.Unmarshal(line, &rec); err != nil {
		return r.unreadable(loc, "not a JSON dead-letter record: "+err.Error())
	}
	if rec.Route == nil || rec.BodyBase64 == nil {
		return r.unreadable(loc, `not a dead-letter record: "route" or "body_base64" missing`)
	}
	at, err := time.Parse(time.RFC3339Nano, rec.Time)
	if err != nil {
		return r.unreadable(loc, fmt.Sprintf("time %q is not an RFC 3339 time", rec.Time))
	}
	route, err := replayRoute(*rec.Route)
	if err != nil {
		return r.unreadable(loc, err.Error())
	}
	r.body, err = base64.StdEncoding.AppendDecode(r.body[:0], []byte(*rec.BodyBase64))
	if err != nil {
		return r.unreadable(loc, "body_base64: "+err.Error())
	}
	code := ""
	if rec.Error != nil {
		code = rec.Error.Code
	}

	if (r.codes != nil && !r.codes[code]) ||
		(len(r.c.statuses) > 0 && !r.c.statuses.has(rec.Status)) ||
		(!r.c.since.IsZero() && at.Before(r.c.since)) {
		r.skipped++
		return true
	}
	shown := code
	if shown == "" {
		shown = "-"
	}
	if r.c.dryRun {
		r.wouldSend++
		fmt.Fprintf(r.out, "%s\t%s\t%s\tdry-run\n", loc, route, shown)
		return true
	}
	if err := r.ctx.Err(); err != nil {
		r.stopped = loc + ": interrupted before this record was sent"
		return false
	}
	status, answerCode, dup, err := r.send(route)
	if err != nil {
		r.noAnswer++
		fmt.Fprintf(r.out, "%s\t%s\t%s\tno answer\n", loc, route, shown)
		if r.ctx.Err() != nil {
			r.stopped = loc + ": interrupted; the worker may or may not have accepted this record (rerun to find out)"
		} else {
			r.stopped = loc + ": no answer from the worker: " + err.Error()
		}
		return false
	}
	r.sent++
	result := strconv.Itoa(status)
	if status >= 200 && status < 300 {
		r.ok2xx++
		if dup {
			// Accepted earlier (by the vendor's own retry, or an
			// earlier replay): nothing was delivered this time.
			r.duplicates++
			result += " duplicate"
		}
	} else {
		r.non2xx++
		if answerCode != "" {
			result += " " + answerCode
		}
	}
	fmt.Fprintf(r.out, "%s\t%s\t%s\t%s\n", loc, route, shown, result)
	switch {
	case status == http.StatusUnauthorized || (status == http.StatusForbidden && answerCode == "forbidden"):
		r.stopped = fmt.Sprintf("%s: the worker refused the secret (%s): set --secret or WXHOOK_SECRET to the worker's secret", loc, result)
		return false
	case status == http.StatusNotFound:
		r.stopped = fmt.Sprintf("%s: %s for %s: is --to the worker's base URL?", loc, result, route)
		return false
	}
	return true
}

func (r *replayRun) unreadable(loc, why string) bool {
	r.unread++
	fmt.Fprintf(r.errw, "wxhook replay: %s: unreadable line: %s\n", loc, why)
	return true
}

// send POSTs r.body on route and returns the answer's status, for an
// error answer its code, and whether the worker marked a 2xx as a duplicate.
func (r *replayRun) send(route string) (status int, code string, dup bool, err error) {
	u := *r.c.to
	u.Path += route
	req, err := http.NewRequestWithContext(r.ctx, http.MethodPost, u.String(), bytes.NewReader(r.body))
	if err != nil {
		return 0, "", false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wxhook-replay/"+version)
	if r.c.secret != "" {
		req.Header.Set("X-Wxhook-Secret", r.c.secret)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, "", false, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // keep the connection reusable
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil {
			code = e.Error.Code
		}
	}
	return resp.StatusCode, code, resp.Header.Get("X-Wxhook-Duplicate") == "1", nil
}

// replayRoute maps a recorded route to the one to POST to: the secret
// segment the worker wrote as "_" is dropped (the secret goes in a header).
func replayRoute(recorded string) (string, error) {
	bad := func() (string, error) {
		return "", fmt.Errorf("route %q is not a dead-letter route (/hook, /hook/{vendor}, /hook/_, /hook/_/{vendor})", recorded)
	}
	rest, ok := strings.CutPrefix(recorded, "/hook")
	if !ok || (rest != "" && rest[0] != '/') {
		return bad()
	}
	rest = strings.TrimPrefix(rest, "/")
	first, vendor, two := strings.Cut(rest, "/")
	switch {
	case two && first != "_":
		return bad()
	case !two && first == "_":
		vendor = ""
	case !two:
		vendor = first
	}
	if _, ok := decoder.ParseDialect(vendor); !ok || strings.Contains(vendor, "/") {
		return bad()
	}
	if vendor == "" {
		return "/hook", nil
	}
	return "/hook/" + vendor, nil
}

// summary writes the stop reason and the counts to stderr and returns the
// exit status.
func (r *replayRun) summary() int {
	if r.stopped != "" {
		fmt.Fprintf(r.errw, "wxhook replay: stopped at %s; the rest of the input was not read\n", r.stopped)
	}
	var s string
	if r.c.dryRun {
		s = fmt.Sprintf("dry run: would send %d", r.wouldSend)
	} else {
		s = fmt.Sprintf("sent %d (%d 2xx", r.sent+r.noAnswer, r.ok2xx)
		if r.duplicates > 0 {
			s += fmt.Sprintf(" of which %d duplicates", r.duplicates)
		}
		s += fmt.Sprintf(", %d non-2xx", r.non2xx)
		if r.noAnswer > 0 {
			s += fmt.Sprintf(", %d no answer", r.noAnswer)
		}
		s += ")"
	}
	fmt.Fprintf(r.errw, "wxhook replay: %s, %d skipped, %d unreadable lines\n", s, r.skipped, r.unread)
	if r.stopped != "" || r.inputFailed || r.unread > 0 || r.non2xx > 0 || r.noAnswer > 0 {
		return 1
	}
	return 0
}

// intListFlag collects HTTP statuses across repeated or comma-separated flags.
type intListFlag []int

func (l *intListFlag) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (l *intListFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 599 {
			return fmt.Errorf("invalid HTTP status %q", v)
		}
		*l = append(*l, n)
	}
	return nil
}

func (l intListFlag) has(n int) bool {
	for _, v := range l {
		if v == n {
			return true
		}
	}
	return false
}
