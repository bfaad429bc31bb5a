package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/sink"
)

const secret = "s3cret-Token"

func fixture(t testing.TB, dialect, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "callbacks", dialect, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lines is a goroutine-safe buffer for the Writer sink.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimSuffix(l.buf.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

type env struct {
	w    *Worker
	out  *lines
	url  string
	dir  string
	stop func() error
}

type option func(*Config)

// start runs a Worker with the native engine, the embedded dedup store and
// a Writer sink on a real 127.0.0.1 listener.
func start(t *testing.T, sk sink.Sink, opts ...option) *env {
	t.Helper()
	return startWith(t, sk, Timeouts{ReadHeader: 300 * time.Millisecond, Read: 500 * time.Millisecond, Shutdown: 5 * time.Second}, opts...)
}

// startWith is start with the server's timeouts given.
func startWith(t *testing.T, sk sink.Sink, to Timeouts, opts ...option) *env {
	t.Helper()
	dir := t.TempDir()
	ds, err := dedup.OpenLocal(filepath.Join(dir, "dedup.db"), dedup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := &lines{}
	if sk == nil {
		sk = sink.NewWriter(out)
	}
	cfg := Config{Engine: decoder.NewEngine(), Dedup: ds, Sink: sk, Secret: secret, DataDir: dir,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- w.Serve(ctx, ln, to)
	}()
	var once sync.Once
	var serr error
	stop := func() error {
		once.Do(func() { cancel(); serr = <-done })
		return serr
	}
	t.Cleanup(func() { stop() })
	return &env{w: w, out: out, url: "http://" + ln.Addr().String(), dir: dir, stop: stop}
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (e *env) post(t *testing.T, path string, body []byte, hdr ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+path, bytes.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header}
}

func (e *env) get(t *testing.T, path string) answer {
	t.Helper()
	resp, err := http.Get(e.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header}
}

func errCode(t *testing.T, a answer) decoder.Code {
	t.Helper()
	e, err := decoder.ParseErrorJSON([]byte(a.body))
	if err != nil {
		t.Fatalf("answer %d %q is not the canonical error JSON: %v", a.status, a.body, err)
	}
	return e.Code
}

func canonical(t *testing.T, body []byte, d decoder.Dialect) string {
	t.Helper()
	out, _, err := decoder.NewEngine().AppendDecode(context.Background(), nil, body, d)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func metricValue(t *testing.T, e *env, series string) string {
	t.Helper()
	m := e.get(t, "/metrics").body
	for _, l := range strings.Split(m, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			return v
		}
	}
	return ""
}

func TestAcceptThenDuplicate(t *testing.T) {
	e := start(t, nil)
	body := fixture(t, "eyun", "seed_text_private")
	a := e.post(t, "/hook/eyun", body, "X-Wxhook-Secret", secret)
	if a.status != 200 || a.body != "{}" || a.header.Get("Content-Type") != "application/json" || a.header.Get("X-Wxhook-Duplicate") != "" {
		t.Fatalf("first: %d %q %v", a.status, a.body, a.header)
	}
	a = e.post(t, "/hook/eyun", body, "X-Wxhook-Secret", secret) // vendor replay
	if a.status != 200 || a.body != "{}" || a.header.Get("X-Wxhook-Duplicate") != "1" {
		t.Fatalf("duplicate: %d %q %v", a.status, a.body, a.header)
	}
	got := e.out.all()
	if len(got) != 1 || got[0] != canonical(t, body, decoder.Eyun) {
		t.Fatalf("sink got %q", got)
	}
	if v := metricValue(t, e, `wxhook_duplicates_total{vendor="eyun"}`); v != "1" {
		t.Fatalf("duplicates metric %q", v)
	}
	if v := metricValue(t, e, `wxhook_decoded_total{kind="text",vendor="eyun"}`); v != "2" {
		t.Fatalf("decoded metric %q", v)
	}
	if v := metricValue(t, e, `wxhook_received_total{route="eyun"}`); v != "2" {
		t.Fatalf("received metric %q", v)
	}
	if v := metricValue(t, e, `wxhook_sink_seconds_count{sink="sink"}`); v != "1" {
		t.Fatalf("sink histogram count %q", v)
	}
}

func TestRoutes(t *testing.T) {
	e := start(t, nil)
	wecom := fixture(t, "wecom", "seed_text_private")
	dll := fixture(t, "dll", "text_private")
	eyun := fixture(t, "eyun", "seed_group_text")
	for _, c := range []struct {
		path   string
		body   []byte
		hdr    []string
		status int
	}{
		{"/hook", wecom, []string{"X-Wxhook-Secret", secret}, 200},     // auto-detect
		{"/hook/" + secret + "/dll", dll, nil, 200},                    // secret in the path
		{"/hook/" + secret, eyun, nil, 200},                            // secret in the path, auto
		{"/hook/eyun", eyun, nil, 401},                                 // no secret
		{"/hook/eyun", eyun, []string{"X-Wxhook-Secret", "nope"}, 403}, // wrong secret
		{"/hook/nope/eyun", eyun, nil, 403},
		{"/hook/" + secret + "/icq", eyun, nil, 404},
		{"/hook/a/b/c", eyun, nil, 404},
		{"/other", eyun, nil, 404},
	} {
		a := e.post(t, c.path, c.body, c.hdr...)
		if a.status != c.status {
			t.Errorf("POST %s: %d %q, want %d", c.path, a.status, a.body, c.status)
		}
		if a.status != 200 {
			errCode(t, a)
		}
	}
	if n := len(e.out.all()); n != 3 {
		t.Fatalf("%d events delivered, want 3", n)
	}
	if a := e.get(t, "/hook/eyun"); a.status != 405 || a.header.Get("Allow") != "POST" {
		t.Fatalf("GET /hook/eyun: %d", a.status)
	}
}

func TestBadInputCatalogue(t *testing.T) {
	e := start(t, nil, func(c *Config) { c.MaxBody = 8 << 20 })
	h := []string{"X-Wxhook-Secret", secret}
	for _, c := range []struct {
		name   string
		path   string
		body   []byte
		status int
		code   decoder.Code
	}{
		{"empty", "/hook/eyun", nil, 400, decoder.CodeEmpty},
		{"not json", "/hook", []byte("<xml>hello</xml>"), 400, decoder.CodeNotJSON},
		{"truncated", "/hook", fixture(t, "eyun", "seed_text_private")[:40], 400, decoder.CodeNotJSON},
		{"no dialect", "/hook", []byte(`{"hello":"world"}`), 400, decoder.CodeUnknownDialect},
		{"wecom on eyun route", "/hook/eyun", fixture(t, "wecom", "seed_text_private"), 400, decoder.CodeWrongDialect},
		{"eyun on dll route", "/hook/dll", fixture(t, "eyun", "seed_text_private"), 400, decoder.CodeWrongDialect},
		{"10 MB", "/hook/eyun", bytes.Repeat([]byte("a"), 10<<20), 413, decoder.CodeTooLarge},
	} {
		a := e.post(t, c.path, c.body, h...)
		if a.status != c.status {
			t.Errorf("%s: status %d %q, want %d", c.name, a.status, a.body, c.status)
			continue
		}
		if got := errCode(t, a); got != c.code {
			t.Errorf("%s: code %s, want %s", c.name, got, c.code)
		}
	}
	if v := metricValue(t, e, `wxhook_rejects_total{code="wrong_dialect"}`); v != "2" {
		t.Fatalf("rejects metric %q", v)
	}
	// Decode failures are dead-lettered with their body; the 10 MB body is not.
	e.stop()
	f, err := os.Open(filepath.Join(e.dir, "deadletter.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var n int
	for sc.Scan() {
		var l struct {
			Time   time.Time
			Route  string
			Status int
			Error  struct{ Code string }
			Body   string `json:"body_base64"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("dead-letter line %q: %v", sc.Bytes(), err)
		}
		if n == 0 {
			if l.Error.Code != "empty" || l.Body != "" || l.Route != "/hook/eyun" || l.Status != 400 || time.Since(l.Time) > time.Minute {
				t.Fatalf("first dead letter %+v", l)
			}
		}
		if n == 1 {
			if b, _ := base64.StdEncoding.DecodeString(l.Body); string(b) != "<xml>hello</xml>" {
				t.Fatalf("dead-letter body %q", b)
			}
		}
		n++
	}
	if n != 6 {
		t.Fatalf("%d dead letters, want 6", n)
	}
}

func TestSlowClientsAreCut(t *testing.T) {
	e := start(t, nil)
	addr := strings.TrimPrefix(e.url, "http://")
	for _, c := range []struct{ name, send string }{
		{"slow headers", "POST /hook/eyun HTTP/1.1\r\nHost: x\r\nX-Wxhook-Secret: "},
		{"slow body", "POST /hook/eyun HTTP/1.1\r\nHost: x\r\nX-Wxhook-Secret: " + secret + "\r\nContent-Length: 1000\r\n\r\n{\"wcId\":"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(c.send))
		start := time.Now()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadAll(conn) // returns when the server closes
		conn.Close()
		if err != nil {
			t.Fatalf("%s: the server did not close the connection: %v", c.name, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("%s: closed after %v", c.name, d)
		}
	}
	if a := e.get(t, "/healthz"); a.status != 200 {
		t.Fatal("worker down after slow clients")
	}
	if a := e.post(t, "/hook/eyun", fixture(t, "eyun", "seed_text_private"), "X-Wxhook-Secret", secret); a.status != 200 {
		t.Fatalf("after slow clients: %d", a.status)
	}
}

// gate is a real Writer sink whose Deliver can be held, to have a request
// in flight at a chosen moment, and made to fail.
type gate struct {
	*sink.Writer
	entered chan struct{}
	release chan struct{}
	fail    atomic.Int32 // fail this many next deliveries
}

func newGate(w io.Writer) *gate {
	return &gate{Writer: sink.NewWriter(w), entered: make(chan struct{}, 16), release: make(chan struct{})}
}

func (g *gate) Deliver(ctx context.Context, r sink.Record) error {
	g.entered <- struct{}{}
	<-g.release
	if g.fail.Add(-1) >= 0 {
		return errors.New("downstream refused")
	}
	return g.Writer.Deliver(ctx, r)
}

func TestInFlightDuplicateGets409(t *testing.T) {
	out := &lines{}
	g := newGate(out)
	e := start(t, g)
	body := fixture(t, "dll", "text_private")
	first := make(chan answer, 1)
	go func() { first <- e.post(t, "/hook/dll", body, "X-Wxhook-Secret", secret) }()
	<-g.entered
	a := e.post(t, "/hook/dll", body, "X-Wxhook-Secret", secret)
	if a.status != 409 || a.header.Get("Retry-After") == "" || errCode(t, a) != "in_flight" {
		t.Fatalf("in-flight duplicate: %d %q", a.status, a.body)
	}
	close(g.release)
	if a := <-first; a.status != 200 {
		t.Fatalf("first: %d", a.status)
	}
	if a := e.post(t, "/hook/dll", body, "X-Wxhook-Secret", secret); a.status != 200 {
		t.Fatalf("retry after success: %d", a.status)
	}
	if n := len(out.all()); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
}

func TestFailedDeliveryIsRetriedNotDropped(t *testing.T) {
	out := &lines{}
	g := newGate(out)
	close(g.release)
	g.fail.Store(1)
	e := start(t, g)
	body := fixture(t, "eyun", "seed_image_private")
	a := e.post(t, "/hook/eyun", body, "X-Wxhook-Secret", secret)
	if a.status != 503 || errCode(t, a) != "unavailable" || a.header.Get("Retry-After") == "" {
		t.Fatalf("failed delivery: %d %q", a.status, a.body)
	}
	// The vendor's retry must be delivered: the key was released.
	if a := e.post(t, "/hook/eyun", body, "X-Wxhook-Secret", secret); a.status != 200 {
		t.Fatalf("retry: %d %q", a.status, a.body)
	}
	if n := len(out.all()); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
}

func TestAllowAccount(t *testing.T) {
	e := start(t, nil, func(c *Config) { c.AllowAccounts = []string{"wxid_ctqh94e1ahe722"} })
	if a := e.post(t, "/hook/eyun", fixture(t, "eyun", "seed_text_private"), "X-Wxhook-Secret", secret); a.status != 200 {
		t.Fatalf("allowed account: %d %q", a.status, a.body)
	}
	a := e.post(t, "/hook/dll", fixture(t, "dll", "text_private"), "X-Wxhook-Secret", secret)
	if a.status != 403 || errCode(t, a) != "account_not_allowed" {
		t.Fatalf("other account: %d %q", a.status, a.body)
	}
}

func TestReadyAndGracefulShutdown(t *testing.T) {
	out := &lines{}
	g := newGate(out)
	e := start(t, g)
	if a := e.get(t, "/readyz"); a.status != 200 || a.body != "{\"engine\":\"ok\",\"dedup\":\"ok\",\"sink\":\"ok\"}\n" {
		t.Fatalf("readyz: %d %q", a.status, a.body)
	}
	first := make(chan answer, 1)
	go func() { first <- e.post(t, "/hook", fixture(t, "wecom", "seed_image"), "X-Wxhook-Secret", secret) }()
	<-g.entered
	stopped := make(chan error, 1)
	go func() { stopped <- e.stop() }()
	time.Sleep(50 * time.Millisecond)
	if _, err := http.Get(e.url + "/healthz"); err == nil {
		t.Fatal("still accepting connections while shutting down")
	}
	close(g.release) // the in-flight request finishes…
	if a := <-first; a.status != 200 {
		t.Fatalf("in-flight request during shutdown: %d", a.status)
	}
	if err := <-stopped; err != nil { // …and Serve returns cleanly
		t.Fatal(err)
	}
	if len(out.all()) != 1 {
		t.Fatal("in-flight event lost in shutdown")
	}
	if r := e.w.Ready(context.Background()); r["worker"] == nil {
		t.Fatal("ready after shutdown")
	}
}

func TestSecretNotInDeadLetter(t *testing.T) {
	e := start(t, nil)
	e.post(t, "/hook/"+secret+"/eyun", []byte("garbage"))
	e.stop()
	b, _ := os.ReadFile(filepath.Join(e.dir, "deadletter.ndjson"))
	if !bytes.Contains(b, []byte(`"route":"/hook/_/eyun"`)) || bytes.Contains(b, []byte(secret)) {
		t.Fatalf("dead letter: %s", b)
	}
}

func TestNewRequiresSecret(t *testing.T) {
	_, err := New(Config{Engine: decoder.NewEngine(), Dedup: dedup.Off{}, Sink: sink.NewWriter(io.Discard), DataDir: t.TempDir()})
	if err == nil {
		t.Fatal("worker without secret and not insecure")
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"/hook":           "/hook",
		"/hook/eyun":      "/hook/eyun",
		"/hook/tok":       "/hook/_",
		"/hook/tok/wecom": "/hook/_/wecom",
		"/hook/tok/bogus": "/hook/_/_",
		"/hook/eyun/tok":  "/hook/eyun/_",
		"/hooks/tok/eyun": "/_/_/eyun",
		"/Hook/tok/eyun":  "/_/_/eyun",
		"/metrics":        "/metrics",
		"/favicon.ico":    "/_",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestClientGoneIsNotADeadLetter: a request whose context ends before its
// body is decoded (the client hung up) is not kept as a dead letter: the
// body was fine, so the event is accepted and the vendor's retry is a
// duplicate.
func TestClientGoneIsNotADeadLetter(t *testing.T) {
	e := start(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/hook/eyun", bytes.NewReader(fixture(t, "eyun", "seed_text_private")))
	req.Header.Set("X-Wxhook-Secret", secret)
	rec := httptest.NewRecorder()
	e.w.ServeHTTP(rec, req)
	// The body was whole: the event is accepted (net/http cancels the
	// context of a client that half-closes too, and that one waits for
	// its answer; see TestHalfClosedClientsSameOnEveryEngine).
	if rec.Code != http.StatusOK || len(e.out.all()) != 1 {
		t.Fatalf("got %d %q and %d deliveries, want 200 and 1", rec.Code, rec.Body, len(e.out.all()))
	}
	e.stop()
	if b, _ := os.ReadFile(filepath.Join(e.dir, "deadletter.ndjson")); len(b) != 0 {
		t.Fatalf("dead-lettered: %s", b)
	}
}

// TestTooLargeForTheDecoderIsNotADeadLetter: with MaxBody above the
// decoder's limit (decoder.MaxInput), a body between the two passes the
// worker's own check and the decoder refuses it: 413, like a body over
// MaxBody, and not kept as a dead letter — no replay of it can succeed.
// A 400 sent alongside still is.
func TestTooLargeForTheDecoderIsNotADeadLetter(t *testing.T) {
	e := start(t, nil, func(c *Config) { c.MaxBody = decoder.MaxInput + 4<<20 })
	h := []string{"X-Wxhook-Secret", secret}
	// Straight to the handler: 17 MiB through the test server's 500 ms
	// read timeout is a race under -race.
	req := httptest.NewRequest(http.MethodPost, "/hook/eyun", bytes.NewReader(bytes.Repeat([]byte("a"), decoder.MaxInput+1<<20)))
	req.Header.Set("X-Wxhook-Secret", secret)
	rec := httptest.NewRecorder()
	e.w.ServeHTTP(rec, req)
	a := answer{rec.Code, rec.Body.String(), rec.Header()}
	if a.status != http.StatusRequestEntityTooLarge || errCode(t, a) != decoder.CodeTooLarge {
		t.Fatalf("body over decoder.MaxInput: %d %q, want 413 too_large", a.status, a.body)
	}
	if a := e.post(t, "/hook/eyun", []byte("garbage"), h...); a.status != http.StatusBadRequest {
		t.Fatalf("garbage: %d %q", a.status, a.body)
	}
	e.stop()
	b, err := os.ReadFile(filepath.Join(e.dir, "deadletter.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n != 1 || !bytes.Contains(b, []byte(`"status":400`)) {
		t.Fatalf("%d dead letters (%d bytes), want only the 400:\n%.300s", n, len(b), b)
	}
}
