package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wxhook/wxhook/decoder"
)

func TestParseServeEnvAndFlags(t *testing.T) {
	env := map[string]string{
		"WXHOOK_ADDR":                "127.0.0.1:9999",
		"WXHOOK_SECRET":              "from-env",
		"WXHOOK_MAX_BODY":            "2MiB",
		"WXHOOK_ALLOW_ACCOUNT":       "a, b",
		"WXHOOK_SINK":                "file:/tmp/x",
		"WXHOOK_FORWARD_CONCURRENCY": "8",
	}
	c, err := parseServe([]string{"--secret", "from-flag", "--allow-account", "c"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:9999" || c.secret != "from-flag" || c.maxBody != 2<<20 || c.sink != "file:/tmp/x" ||
		strings.Join(c.allow, ",") != "a,b,c" || c.engine != "wasm" || c.dedup != "memory" || c.forwardConcurrency != 8 {
		t.Fatalf("config %+v", c)
	}
	if _, err := parseServe(nil, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("no secret and not insecure accepted")
	}
	if _, err := parseServe([]string{"--insecure", "--max-body", "lots"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("bad --max-body accepted")
	}
	if _, err := parseServe([]string{"--insecure", "--wasm-dispatch", "-1"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("--wasm-dispatch -1 accepted")
	}
	if _, err := parseServe([]string{"--insecure", "--forward-concurrency", "0"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("--forward-concurrency 0 accepted")
	}
	if _, err := parseServe(nil, func(k string) string {
		return map[string]string{"WXHOOK_INSECURE": "maybe"}[k]
	}, io.Discard); err == nil {
		t.Fatal("bad WXHOOK_INSECURE accepted")
	}
	c, err = parseServe([]string{"--insecure"}, func(string) string { return "" }, io.Discard)
	if err != nil || c.addr != "127.0.0.1:8080" || c.maxBody != 8<<20 || c.sink != "stdout" || c.forwardConcurrency != 1 || c.wasmDispatch < 1 {
		t.Fatalf("defaults: %+v %v", c, err)
	}
}

// TestServeMaxBodyAboveDecoderLimit: --max-body above decoder.MaxInput is
// refused at start-up with a one-line error naming the limit (a body
// between the two could only be answered 413 after being read in full).
func TestServeMaxBodyAboveDecoderLimit(t *testing.T) {
	for _, args := range [][]string{{"--insecure", "--max-body", "17MiB"}, {"--insecure", "--max-body", "16777217"}} {
		var stderr strings.Builder
		_, err := parseServe(args, func(string) string { return "" }, &stderr)
		if err == nil || !strings.Contains(err.Error(), "16777216") || strings.Contains(err.Error(), "\n") || stderr.Len() != 0 {
			t.Fatalf("%v accepted or unclear: %v (stderr %q)", args, err, stderr.String())
		}
	}
	if _, err := parseServe(nil, func(k string) string {
		return map[string]string{"WXHOOK_INSECURE": "true", "WXHOOK_MAX_BODY": "1GiB"}[k]
	}, io.Discard); err == nil {
		t.Fatal("WXHOOK_MAX_BODY=1GiB accepted")
	}
	if c, err := parseServe([]string{"--insecure", "--max-body", "16MiB"}, func(string) string { return "" }, io.Discard); err != nil || c.maxBody != decoder.MaxInput {
		t.Fatalf("--max-body 16MiB: %v", err)
	}
}

// TestServeRefusesSecretWithInsecure: --insecure turns the secret check
// off, so a secret next to it (a leftover WXHOOK_INSECURE=true) is refused
// at start-up, naming where each came from.
func TestServeRefusesSecretWithInsecure(t *testing.T) {
	for _, c := range []struct {
		args  []string
		env   map[string]string
		names []string
	}{
		{[]string{"--secret", "x", "--insecure"}, nil, []string{"--secret", "--insecure"}},
		{[]string{"--secret", "x"}, map[string]string{"WXHOOK_INSECURE": "true"}, []string{"--secret", "WXHOOK_INSECURE"}},
		{[]string{"--insecure"}, map[string]string{"WXHOOK_SECRET": "x"}, []string{"WXHOOK_SECRET", "--insecure"}},
		{nil, map[string]string{"WXHOOK_SECRET": "x", "WXHOOK_INSECURE": "1"}, []string{"WXHOOK_SECRET", "WXHOOK_INSECURE"}},
	} {
		_, err := parseServe(c.args, func(k string) string { return c.env[k] }, io.Discard)
		if err == nil {
			t.Errorf("%v %v: accepted", c.args, c.env)
			continue
		}
		for _, n := range c.names {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("%v %v: %q does not name %s", c.args, c.env, err, n)
			}
		}
	}
	// --insecure=false next to a secret is fine.
	if _, err := parseServe([]string{"--secret", "x", "--insecure=false"}, func(string) string { return "" }, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := parseServe([]string{"--secret", "Eyun"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("a vendor name accepted as the secret")
	}
}

// TestInsecureListensOnLoopback: without a secret the default address is
// 127.0.0.1 only; an explicit --addr (or WXHOOK_ADDR) is taken as given.
func TestInsecureListensOnLoopback(t *testing.T) {
	none := func(string) string { return "" }
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--insecure"}, nil, "127.0.0.1:8080"},
		{nil, map[string]string{"WXHOOK_INSECURE": "true"}, "127.0.0.1:8080"},
		{[]string{"--insecure", "--addr", ":9000"}, nil, ":9000"},
		{[]string{"--insecure"}, map[string]string{"WXHOOK_ADDR": "0.0.0.0:8080"}, "0.0.0.0:8080"},
		{[]string{"--secret", "x"}, nil, ":8080"},
	} {
		getenv := none
		if c.env != nil {
			getenv = func(k string) string { return c.env[k] }
		}
		cfg, err := parseServe(c.args, getenv, io.Discard)
		if err != nil || cfg.addr != c.want {
			t.Errorf("%v %v: addr %q, %v; want %q", c.args, c.env, cfg.addr, err, c.want)
		}
	}
}

// TestCommandMessages: usage errors are one line plus where the help is;
// "wxhook help serve" is serve's help; a bad boolean in the environment
// names the values allowed.
func TestCommandMessages(t *testing.T) {
	call := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := dispatch(args, strings.NewReader(""), &o, &e)
		return code, o.String(), e.String()
	}
	for _, args := range [][]string{
		{"serve", "--max-body", "lots"},
		{"serve", "--no-such-flag"},
		{"serve", "--insecure", "--wasm-dispatch", "-1"},
		{"decode", "--dialect", ""},
		{"replay", "--nope"},
	} {
		code, _, stderr := call(args...)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != 2 || len(lines) != 2 || !strings.HasPrefix(lines[0], "wxhook "+args[0]+": ") || lines[1] != `see "wxhook `+args[0]+` --help"` {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
	for _, args := range [][]string{{"help", "serve"}, {"serve", "-h"}} {
		code, _, stderr := call(args...)
		if code != 0 || !strings.HasPrefix(stderr, "usage: wxhook serve") || !strings.Contains(stderr, "-admin-addr") ||
			!strings.Contains(stderr, "/hook/{secret}") {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
	if code, stdout, _ := call("help"); code != 0 || !strings.Contains(stdout, "commands:") {
		t.Errorf("help: exit %d %q", code, stdout)
	}
	_, err := parseServe(nil, func(k string) string { return map[string]string{"WXHOOK_INSECURE": "yes"}[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "WXHOOK_INSECURE") || !strings.Contains(err.Error(), "true or false") {
		t.Errorf("WXHOOK_INSECURE=yes: %v", err)
	}
}

// TestServeAdminAddr runs serve in-process on two loopback ports: /metrics
// only on the admin address, /healthz and /readyz on both.
func TestServeAdminAddr(t *testing.T) {
	main, admin := freePort(t), freePort(t)
	c, err := parseServe([]string{"--insecure", "--engine", "native", "--addr", fmt.Sprintf("127.0.0.1:%d", main),
		"--admin-addr", fmt.Sprintf("127.0.0.1:%d", admin), "--data-dir", t.TempDir()}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	get := serveUntilEnd(t, c)
	if st, body := get(main, "/metrics"); st != 404 || !strings.Contains(body, "admin") {
		t.Errorf("main /metrics: %d %s", st, body)
	}
	if st, body := get(admin, "/metrics"); st != 200 || !strings.Contains(body, "wxhook_received_total") {
		t.Errorf("admin /metrics: %d", st)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if st, _ := get(main, p); st != 200 {
			t.Errorf("main %s: %d", p, st)
		}
		if st, _ := get(admin, p); st != 200 {
			t.Errorf("admin %s: %d", p, st)
		}
	}
	if st, _ := get(admin, "/hook"); st != 404 {
		t.Errorf("admin /hook: %d", st)
	}
}

// TestServeAdminPprof: --admin-pprof serves Go's profiles on the admin
// address and never on --addr; without an admin address it is refused.
func TestServeAdminPprof(t *testing.T) {
	if _, err := parseServe([]string{"--insecure", "--admin-addr", "off", "--admin-pprof"}, func(string) string { return "" }, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "admin address") {
		t.Fatalf("--admin-pprof with --admin-addr off: %v", err)
	}
	main, admin := freePort(t), freePort(t)
	c, err := parseServe([]string{"--insecure", "--engine", "native", "--addr", fmt.Sprintf("127.0.0.1:%d", main),
		"--admin-addr", fmt.Sprintf("127.0.0.1:%d", admin), "--admin-pprof", "--data-dir", t.TempDir()}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	get := serveUntilEnd(t, c)
	if st, body := get(admin, "/debug/pprof/"); st != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("admin /debug/pprof/: %d %.200s", st, body)
	}
	if st, body := get(admin, "/debug/pprof/profile?seconds=1"); st != 200 || len(body) == 0 {
		t.Errorf("admin CPU profile: %d, %d bytes", st, len(body))
	}
	if st, _ := get(main, "/debug/pprof/"); st != 404 {
		t.Errorf("main /debug/pprof/: %d, want 404", st)
	}
	// The admin handler's own routes are still there.
	if st, body := get(admin, "/metrics"); st != 200 || !strings.Contains(body, "wxhook_received_total") {
		t.Errorf("admin /metrics: %d", st)
	}
	if st, _ := get(admin, "/nothing"); st != 404 {
		t.Errorf("admin /nothing: %d", st)
	}
}

func TestRedactURL(t *testing.T) {
	if got := redactURL("redis://:pw@host:6379/0"); got != "redis://_@host:6379/0" {
		t.Fatal(got)
	}
	if got := redactURL("stdout"); got != "stdout" {
		t.Fatal(got)
	}
}

func metric(b []byte, name string) string {
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	return ""
}

// --- crash test ------------------------------------------------------------

// serveUntilEnd runs serve with c until the test ends and returns a GET on
// 127.0.0.1:port that retries until the listener is up (10 s) and gives the
// status and body.
func serveUntilEnd(t *testing.T, c *serveConfig) func(port int, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return func(port int, path string) (int, string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET :%d%s: %v", port, path, err)
			}
		}
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type proc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	url    string
}

func startWorker(t *testing.T, bin string, port int, args ...string) *proc {
	t.Helper()
	p := &proc{stderr: &bytes.Buffer{}, url: "http://127.0.0.1:" + strconv.Itoa(port)}
	// No admin address unless the test asks for one: the default port
	// would be shared by every worker started at once (/metrics is then
	// on the main address).
	base := []string{"serve", "--addr", "127.0.0.1:" + strconv.Itoa(port), "--log-format", "text"}
	if !slices.Contains(args, "--admin-addr") {
		base = append(base, "--admin-addr", "off")
	}
	p.cmd = exec.Command(bin, append(base, args...)...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			t.Fatalf("worker did not start: %s", p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// variants makes n distinct callbacks from real fixtures by rewriting the
// id their dedup key is built from, with that key (computed by the decoder,
// as the worker will).
func variants(t *testing.T, n int) (bodies [][]byte, keys []string) {
	t.Helper()
	type tmpl struct{ dialect, name, id string }
	tmpls := []tmpl{
		{"eyun", "seed_text_private", "769189154845429899"},
		{"dll", "text_private", "4716294419932188235"},
		{"wecom", "seed_text_private", "1000423"},
	}
	eng := decoder.NewEngine()
	seen := map[string]bool{}
	for i := 0; len(bodies) < n; i++ {
		tp := tmpls[i%len(tmpls)]
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "callbacks", tp.dialect, tp.name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		id := tp.id[:len(tp.id)-5] + fmt.Sprintf("%05d", i)
		b = bytes.Replace(b, []byte(tp.id), []byte(id), 1)
		d, _ := decoder.ParseDialect(tp.dialect)
		_, m, err := eng.AppendDecode(context.Background(), nil, b, d)
		if err != nil {
			t.Fatalf("variant %d: %v", i, err)
		}
		k := string(m.DedupKey)
		if k == "" || seen[k] {
			t.Fatalf("variant %d: key %q not distinct", i, k)
		}
		seen[k] = true
		bodies, keys = append(bodies, b), append(keys, k)
	}
	return bodies, keys
}

var dialectOf = []string{"eyun", "dll", "wecom"}

// built is the wxhook binary, built once per test binary by buildWxhook
// and removed by TestMain.
var built struct {
	once     sync.Once
	dir, bin string
	out      []byte
	err      error
}

// buildWxhook returns the wxhook binary (built on first use) and a fresh
// temporary directory for the test's data; with -short it skips the test,
// saying why (what the test does with the binary).
func buildWxhook(t *testing.T, why string) (bin, tmp string) {
	t.Helper()
	if testing.Short() {
		t.Skip(why)
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "wxhook-test-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "wxhook")
		built.out, built.err = exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.bin, t.TempDir()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

func TestCrashRestartDeliversEveryAcknowledgedEvent(t *testing.T) {
	// The forward sink one POST at a time (in order), and eight at once.
	for _, c := range []string{"1", "8"} {
		t.Run("forward-concurrency="+c, func(t *testing.T) { crashRestart(t, c) })
	}
}

func crashRestart(t *testing.T, concurrency string) {
	bin, tmp := buildWxhook(t, "builds and kills the binary")
	const n = 300
	bodies, keys := variants(t, n)
	downPort, workerPort := freePort(t), freePort(t)
	args := []string{"--insecure", "--engine", "native", "--sink", fmt.Sprintf("http://127.0.0.1:%d/", downPort),
		"--data-dir", filepath.Join(tmp, "data"), "--forward-max-backoff", "300ms", "--forward-concurrency", concurrency}

	var mu sync.Mutex
	acked := map[string]bool{}
	post := func(url string, i int) bool {
		resp, err := http.Post(url+"/hook/"+dialectOf[i%3], "application/json", bytes.NewReader(bodies[i]))
		if err != nil {
			return false // killed mid-request: not acknowledged
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && string(b) == "{}" {
			mu.Lock()
			acked[keys[i]] = true
			mu.Unlock()
			return true
		}
		return false
	}

	// Phase 1: downstream down, 4 clients post the first 200 events plus a
	// replay of every 4th one; the worker is killed -9 in the middle.
	w := startWorker(t, bin, workerPort, args...)
	var wg sync.WaitGroup
	var posted sync.WaitGroup
	posted.Add(100)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < 200; i += 4 {
				post(w.url, i)
				if i%4 == 0 {
					post(w.url, i) // vendor replay
				}
				if i < 100 {
					posted.Done()
				}
			}
		}()
	}
	posted.Wait()
	w.cmd.Process.Signal(syscall.SIGKILL)
	w.cmd.Wait()
	wg.Wait()
	mu.Lock()
	ackedBeforeKill := len(acked)
	mu.Unlock()
	if ackedBeforeKill < 50 {
		t.Fatalf("only %d events acknowledged before the kill", ackedBeforeKill)
	}

	// Phase 2: restart on the same data dir; replay the first 200 (the
	// vendor retries what failed, and replays some that succeeded), post the
	// last 100.
	w = startWorker(t, bin, workerPort, args...)
	defer func() {
		w.cmd.Process.Signal(syscall.SIGTERM)
		w.cmd.Wait()
	}()
	for i := range n {
		post(w.url, i)
	}
	if len(acked) != n {
		t.Fatalf("%d of %d events acknowledged after restart", len(acked), n)
	}
	// Every acknowledged event is in the spool exactly once: the replays of
	// events accepted before the kill were answered as duplicates.
	if r, err := http.Get(w.url + "/metrics"); err == nil {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		t.Logf("after restart and replays: spool backlog %s (want %d)", metric(b, "wxhook_spool_backlog"), n)
	}

	// Phase 3: the downstream comes up.
	var dmu sync.Mutex
	arrivals := map[string]int{}
	missingHeader := 0
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", downPort))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		k := r.Header.Get("X-Wxhook-Dedup-Key")
		dmu.Lock()
		if k == "" {
			missingHeader++
		}
		arrivals[k]++
		dmu.Unlock()
		rw.Write([]byte("{}"))
	})}
	go srv.Serve(ln)
	defer srv.Close()

	deadline := time.Now().Add(30 * time.Second)
	for {
		dmu.Lock()
		got := 0
		for k := range acked {
			if arrivals[k] > 0 {
				got++
			}
		}
		dmu.Unlock()
		if got == len(acked) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged events arrived downstream\n%s", got, len(acked), w.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let stragglers (second arrivals) in
	dmu.Lock()
	defer dmu.Unlock()
	second := 0
	for k, c := range arrivals {
		if c > 1 {
			second += c - 1
			t.Logf("second arrival: %s ×%d", k, c)
		}
	}
	if missingHeader > 0 {
		t.Fatalf("%d forwards without X-Wxhook-Dedup-Key", missingHeader)
	}
	t.Logf("crash test: %d events, %d acknowledged before kill -9, %d arrived, %d second arrivals (in flight at the kill)",
		n, ackedBeforeKill, len(arrivals), second)
	// The spool drained: the backlog gauge is 0.
	resp, err := http.Get(w.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(m, []byte("\nwxhook_spool_backlog 0\n")) {
		t.Fatalf("spool backlog not 0 after delivery:\n%s", m)
	}
	// A kill -9 tears at most the tail of the spool: nothing in it is
	// taken for damage.
	if !bytes.Contains(m, []byte("\nwxhook_spool_quarantined_total 0\n")) {
		t.Fatalf("spool bytes quarantined after a kill -9:\n%s", m)
	}
}

// TestServeBinaryBadInputAndSignals runs the binary with a secret and the
// file sink, sends the bad-input catalogue, and stops it with SIGTERM.
// Both engines: the wasm one through its dispatcher (--wasm-dispatch).
func TestServeBinaryBadInputAndSignals(t *testing.T) {
	for _, engine := range []string{"native", "wasm"} {
		t.Run(engine, func(t *testing.T) { badInputAndSignals(t, engine) })
	}
}

func badInputAndSignals(t *testing.T, engine string) {
	bin, tmp := buildWxhook(t, "builds the binary")
	events := filepath.Join(tmp, "events.ndjson")
	port := freePort(t)
	w := startWorker(t, bin, port, "--secret", "dev", "--engine", engine, "--sink", "file:"+events, "--data-dir", filepath.Join(tmp, "data"),
		"--fsync", "always", "--read-timeout", "1s")
	good, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "callbacks", "eyun", "seed_text_private.json"))
	wecom, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "callbacks", "wecom", "seed_text_private.json"))
	for _, c := range []struct {
		path   string
		secret string
		body   []byte
		status int
	}{
		{"/hook/eyun", "", good, 401},
		{"/hook/eyun", "wrong", good, 403},
		{"/hook/eyun", "dev", nil, 400},
		{"/hook/eyun", "dev", []byte("not json"), 400},
		{"/hook/eyun", "dev", wecom, 400},
		{"/hook/eyun", "dev", bytes.Repeat([]byte{' '}, 10<<20), 413},
		{"/hook/eyun", "dev", good, 200},
		{"/hook/dev/eyun", "", good, 200}, // duplicate, secret in path
	} {
		req, _ := http.NewRequest("POST", w.url+c.path, bytes.NewReader(c.body))
		if c.secret != "" {
			req.Header.Set("X-Wxhook-Secret", c.secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %d: %v", c.path, c.status, err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s (%d bytes): %d, want %d", c.path, len(c.body), resp.StatusCode, c.status)
		}
	}
	w.cmd.Process.Signal(syscall.SIGTERM)
	if err := w.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, w.stderr)
	}
	b, _ := os.ReadFile(events)
	if bytes.Count(b, []byte("\n")) != 1 {
		t.Fatalf("events file: %q", b)
	}
	if !strings.Contains(w.stderr.String(), "wxhook serve stopped") {
		t.Fatalf("no clean stop in the log:\n%s", w.stderr)
	}
}

// TestKillKeepsDedupKeys: with the file sink (nothing to recover keys from
// but the dedup store itself), events accepted just before a kill -9 —
// before the dedup store's once-a-second bbolt flush — are still known
// after the restart: their replays are duplicates, not second events.
func TestKillKeepsDedupKeys(t *testing.T) {
	bin, tmp := buildWxhook(t, "builds and kills the binary")
	bodies, _ := variants(t, 30)
	events := filepath.Join(tmp, "events.ndjson")
	port := freePort(t)
	args := []string{"--insecure", "--engine", "native", "--sink", "file:" + events, "--data-dir", filepath.Join(tmp, "data")}
	post := func(url string, i int) int {
		resp, err := http.Post(url+"/hook/"+dialectOf[i%3], "application/json", bytes.NewReader(bodies[i]))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	w := startWorker(t, bin, port, args...)
	for i := range bodies {
		if st := post(w.url, i); st != 200 {
			t.Fatalf("post %d: %d", i, st)
		}
	}
	w.cmd.Process.Signal(syscall.SIGKILL) // well within the first flush interval
	w.cmd.Wait()
	w = startWorker(t, bin, port, args...)
	defer func() {
		w.cmd.Process.Signal(syscall.SIGTERM)
		w.cmd.Wait()
	}()
	for i := range bodies {
		if st := post(w.url, i); st != 200 {
			t.Fatalf("replay %d: %d", i, st)
		}
	}
	b, _ := os.ReadFile(events)
	if n := bytes.Count(b, []byte("\n")); n != len(bodies) {
		t.Fatalf("%d events in the file after replaying %d accepted ones, want %d", n, len(bodies), len(bodies))
	}
}

// TestDefaultDataDirIsIgnored: the README's first command (serve from the
// repository's root) creates wxhook-data/, which git status must not show.
func TestDefaultDataDirIsIgnored(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skip("not a git checkout")
	}
	for _, p := range []string{replayDataDir + "/deadletter.ndjson", replayDataDir + "/dedup.db", "wxhook"} {
		if err := exec.Command(git, "-C", root, "check-ignore", "-q", "--no-index", p).Run(); err != nil {
			t.Errorf("%s is not ignored by .gitignore: %v", p, err)
		}
	}
}
