package worker

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/internal/testsrv"
	"github.com/wxhook/wxhook/worker/sink"
)

// Tests of the protections that must never turn off silently (issue 9,
// items 7–11 and the metrics and log parts of 18).

func insecure(c *Config) { c.Secret, c.Insecure = "", true }

// TestSecretAndInsecureRefused: Insecure would turn the secret check off,
// so the two together are refused, as is a secret a route would take for a
// vendor.
func TestSecretAndInsecureRefused(t *testing.T) {
	base := func() Config {
		return Config{Engine: decoder.NewEngine(), Dedup: dedup.Off{}, Sink: sink.NewWriter(io.Discard), DataDir: t.TempDir()}
	}
	c := base()
	c.Secret, c.Insecure = secret, true
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "Insecure") {
		t.Fatalf("secret + Insecure: %v", err)
	}
	for _, s := range []string{"wecom", "EYUN", "Dll", "auto"} {
		c := base()
		c.Secret = s
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), "vendor name") {
			t.Errorf("secret %q: %v", s, err)
		}
	}
}

// TestUnknownVendorIs404: a vendor typo is never taken for a secret: 404
// naming the vendors, with a secret and without one; nothing is delivered.
func TestUnknownVendorIs404(t *testing.T) {
	eyun := fixture(t, "eyun", "seed_text_private")
	typos := []string{"/hook/foo", "/hook/WECOM", "/hook/Eyun", "/hook/eyun/", "/hook/eyun/" + secret,
		"/hook/" + secret + "/Eyun", "/hook/" + secret + "/", "/hook//eyun", "/hook/dll/eyun"}
	for _, mode := range []struct {
		name string
		opts []option
	}{{"secret", nil}, {"insecure", []option{insecure}}} {
		t.Run(mode.name, func(t *testing.T) {
			e := start(t, nil, mode.opts...)
			for _, p := range typos {
				a := e.post(t, p, eyun, "X-Wxhook-Secret", secret)
				if mode.name == "insecure" {
					a = e.post(t, p, eyun)
				}
				if a.status != 404 || errCode(t, a) != codeNotFound {
					t.Errorf("POST %s: %d %q, want 404 not_found", p, a.status, a.body)
					continue
				}
				de, _ := decoder.ParseErrorJSON([]byte(a.body))
				for _, v := range append(VendorNames(), "auto") {
					if !strings.Contains(de.Detail, v) {
						t.Errorf("POST %s: detail %q does not name %s", p, de.Detail, v)
					}
				}
				if strings.Contains(a.body, secret) {
					t.Errorf("POST %s: the answer repeats the secret: %s", p, a.body)
				}
			}
			if n := len(e.out.all()); n != 0 {
				t.Fatalf("%d events delivered through mistyped routes", n)
			}
			// The right routes still work.
			ok := []string{"/hook/eyun", "/hook/auto", "/hook"}
			if mode.name == "secret" {
				ok = append(ok, "/hook/"+secret, "/hook/"+secret+"/eyun", "/hook/"+secret+"/auto")
			}
			for _, p := range ok {
				hdr := []string{"X-Wxhook-Secret", secret}
				if mode.name == "insecure" || strings.Contains(p, secret) {
					hdr = nil
				}
				if a := e.post(t, p, eyun, hdr...); a.status != 200 {
					t.Errorf("POST %s: %d %q", p, a.status, a.body)
				}
			}
		})
	}
}

func TestVendorNamesFromDecoder(t *testing.T) {
	got := VendorNames()
	if len(got) < 3 || got[0] != "wecom" || got[1] != "eyun" || got[2] != "dll" {
		t.Fatalf("VendorNames() = %v", got)
	}
	for _, v := range got {
		if d, ok := decoder.ParseDialect(v); !ok || d.String() != v || d == decoder.Auto {
			t.Errorf("%q is not a decoder dialect", v)
		}
	}
}

// TestSecretNeverLogged: whatever the route, right or mistyped, the secret
// reaches neither the log (at debug level) nor the dead-letter file.
func TestSecretNeverLogged(t *testing.T) {
	logs := &lines{}
	e := start(t, nil, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	body := []byte("garbage") // dead-lettered where the secret is right
	for _, p := range []string{
		"/hook/eyun/" + secret, "/hooks/" + secret + "/eyun", "/Hook/" + secret + "/eyun", "/hook/" + secret + "/eyun/x",
		"/hook/" + secret + "/bogus", "/" + secret, "/hook/" + secret, "/hook/" + secret + "/eyun", "/x/" + secret + "/hook",
		"/hook/" + secret + "x", "/hook/" + secret + "x/eyun",
	} {
		e.post(t, p, body)
		e.get(t, p)
	}
	e.stop()
	l := strings.Join(logs.all(), "\n")
	if strings.Count(l, "\n") < 15 {
		t.Fatalf("too few log lines to tell:\n%s", l)
	}
	if strings.Contains(l, secret) {
		t.Fatalf("the secret is in the log:\n%s", l)
	}
	dl, _ := os.ReadFile(filepath.Join(e.dir, "deadletter.ndjson"))
	if bytes.Count(dl, []byte("\n")) < 2 || bytes.Contains(dl, []byte(secret)) {
		t.Fatalf("dead letters:\n%s", dl)
	}
}

// TestNotFoundIsNotACallback: a request for a path that is not a hook
// route is logged at debug level, not as a rejected callback.
func TestNotFoundIsNotACallback(t *testing.T) {
	logs := &lines{}
	e := start(t, nil, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	for _, p := range []string{"/favicon.ico", "/", "/wp-login.php"} {
		if a := e.get(t, p); a.status != 404 {
			t.Fatalf("GET %s: %d", p, a.status)
		}
	}
	if a := e.post(t, "/hook/nope", nil); a.status != 404 {
		t.Fatalf("POST /hook/nope: %d", a.status)
	}
	got := logs.all()
	if len(got) != 1 || !strings.Contains(got[0], "callback rejected") || !strings.Contains(got[0], "route=/hook/_") {
		t.Fatalf("log at info level: %q", got)
	}
}

// TestMetricsLeaveOutImpossibleSeries: decoded events always have a
// vendor, so no decoded or duplicate series says vendor="auto".
func TestMetricsLeaveOutImpossibleSeries(t *testing.T) {
	e := start(t, nil)
	m := e.get(t, "/metrics").body
	if !strings.Contains(m, `wxhook_decoded_total{kind="text",vendor="eyun"} 0`) || !strings.Contains(m, `wxhook_received_total{route="auto"} 0`) {
		t.Fatalf("expected series missing:\n%s", m)
	}
	for _, l := range strings.Split(m, "\n") {
		if (strings.HasPrefix(l, "wxhook_decoded_total") || strings.HasPrefix(l, "wxhook_duplicates_total")) && strings.Contains(l, `vendor="auto"`) {
			t.Errorf("impossible series: %s", l)
		}
	}
}

// TestInflightBodyBudget: bodies held by requests in flight count against
// MaxInflightBytes; past it a request gets 503 + Retry-After before its
// body is read, and the budget comes back when requests end.
func TestInflightBodyBudget(t *testing.T) {
	const maxBody = 1 << 20
	const budget = 2*maxBody + 4<<10
	// A read timeout long enough for the stalled clients below.
	e := startWith(t, nil, Timeouts{Read: time.Minute, Shutdown: 5 * time.Second}, func(c *Config) { c.MaxBody, c.MaxInflightBytes = maxBody, budget })
	addr := strings.TrimPrefix(e.url, "http://")

	// Two clients send the headers of a maxBody body and 10 bytes of it,
	// then stall: their requests hold 2 MiB of the budget.
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /hook/eyun HTTP/1.1\r\nHost: x\r\nX-Wxhook-Secret: %s\r\nContent-Length: %d\r\n\r\n%s", secret, maxBody, strings.Repeat(" ", 10))
		held = append(held, c)
	}
	gauge := func() float64 {
		v, _ := strconv.ParseFloat(metricValue(t, e, "wxhook_inflight_body_bytes"), 64)
		return v
	}
	deadline := time.Now().Add(5 * time.Second)
	for gauge() != 2*maxBody {
		if time.Now().After(deadline) {
			t.Fatalf("in-flight gauge %v, want %d", gauge(), 2*maxBody)
		}
		time.Sleep(5 * time.Millisecond)
	}

	big := bytes.Repeat([]byte(" "), maxBody)
	h := []string{"X-Wxhook-Secret", secret}
	a := e.post(t, "/hook/eyun", big, h...)
	if a.status != 503 || a.header.Get("Retry-After") == "" || errCode(t, a) != codeOverloaded {
		t.Fatalf("third large body: %d %q %v", a.status, a.body, a.header)
	}
	// Chunked (no Content-Length): refused as it grows past the budget.
	req, _ := http.NewRequest("POST", e.url+"/hook/eyun", io.MultiReader(bytes.NewReader(big)))
	req.Header.Set("X-Wxhook-Secret", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ContentLength == 0 || resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("chunked large body: %d", resp.StatusCode)
	}
	// A small callback fits in what is left.
	if a := e.post(t, "/hook/eyun", fixture(t, "eyun", "seed_text_private"), h...); a.status != 200 {
		t.Fatalf("small callback: %d %q", a.status, a.body)
	}

	// The stalled clients finish: their bodies are decoded (blank: 400).
	for _, c := range held {
		c.Write(big[10:])
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("held request: %d", resp.StatusCode)
		}
	}
	if g := gauge(); g != 0 {
		t.Fatalf("in-flight gauge %v after every request ended", g)
	}
	if a := e.post(t, "/hook/eyun", big, h...); a.status != 400 || errCode(t, a) != decoder.CodeEmpty {
		t.Fatalf("large body once the budget is back: %d %q", a.status, a.body)
	}
	if v := metricValue(t, e, `wxhook_rejects_total{code="overloaded"}`); v != "2" {
		t.Fatalf("overloaded rejects %q", v)
	}
	if _, err := New(Config{Engine: decoder.NewEngine(), Dedup: dedup.Off{}, Sink: sink.NewWriter(io.Discard), Insecure: true,
		DataDir: t.TempDir(), MaxBody: 2 << 20, MaxInflightBytes: 1 << 20}); err == nil {
		t.Fatal("a budget below MaxBody accepted")
	}
}

// redisProc starts a redis-server this test can pause (SIGSTOP).
func redisProc(t *testing.T) (url string, p *os.Process) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed (apt-get install redis-server): skipping the Redis test")
	}
	port := testsrv.FreePort(t)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
	})
	url = "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
			return url, cmd.Process
		}
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start")
		}
	}
}

// getAdmin asks the admin handler, as wxhook serve --admin-addr serves it.
func getAdmin(w *Worker, path string) answer {
	rec := httptest.NewRecorder()
	w.AdminHandler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return answer{rec.Code, rec.Body.String(), rec.Header()}
}

// TestReadyzTimesOutOnPausedRedis: with Redis paused, /readyz answers 503
// within its timeout (it used to hang), naming the dedup store without its
// address; the admin handler gives the error.
func TestReadyzTimesOutOnPausedRedis(t *testing.T) {
	url, redis := redisProc(t)
	e := start(t, nil, func(c *Config) {
		c.Dedup.Close()
		ds, err := dedup.Open(context.Background(), url, "", dedup.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c.Dedup = ds
		c.ReadyTimeout = 300 * time.Millisecond
	})
	if a := e.get(t, "/readyz"); a.status != 200 {
		t.Fatalf("readyz with redis up: %d %q", a.status, a.body)
	}
	if err := redis.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer redis.Signal(syscall.SIGCONT)
	client := &http.Client{Timeout: 10 * time.Second}
	begin := time.Now()
	resp, err := client.Get(e.url + "/readyz")
	if err != nil {
		t.Fatalf("readyz with redis paused: %v after %v", err, time.Since(begin))
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if d := time.Since(begin); d > 3*time.Second {
		t.Fatalf("readyz took %v", d)
	}
	if resp.StatusCode != 503 || string(b) != `{"engine":"ok","dedup":"failing","sink":"ok"}`+"\n" {
		t.Fatalf("readyz with redis paused: %d %s", resp.StatusCode, b)
	}
	a := getAdmin(e.w, "/readyz")
	if a.status != 503 || !strings.Contains(a.body, `"dedup":"`) || strings.Contains(a.body, `"dedup":"ok"`) || strings.Contains(a.body, `"dedup":"failing"`) {
		t.Fatalf("admin readyz: %d %s", a.status, a.body)
	}
}

// TestReadyzFileSinkWriteFailure: a file sink whose writes fail (/dev/full)
// makes /readyz fail, without the file's name or the system error in the
// unauthenticated answer.
func TestReadyzFileSinkWriteFailure(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	fs, err := sink.OpenFile("/dev/full", "never")
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, fs)
	if a := e.get(t, "/readyz"); a.status != 200 {
		t.Fatalf("readyz before any delivery: %d %q", a.status, a.body)
	}
	a := e.post(t, "/hook/eyun", fixture(t, "eyun", "seed_text_private"), "X-Wxhook-Secret", secret)
	if a.status != 503 || errCode(t, a) != codeUnavailable || strings.Contains(a.body, "/dev/full") {
		t.Fatalf("delivery to /dev/full: %d %q", a.status, a.body)
	}
	a = e.get(t, "/readyz")
	if a.status != 503 || a.body != `{"engine":"ok","dedup":"ok","sink":"failing"}`+"\n" {
		t.Fatalf("readyz after a failed write: %d %q", a.status, a.body)
	}
	a = getAdmin(e.w, "/readyz")
	if a.status != 503 || !strings.Contains(a.body, "no space left on device") {
		t.Fatalf("admin readyz: %d %s", a.status, a.body)
	}
	// A failure older than the window no longer counts: the worker is
	// tried again (and a success clears it at once).
	e.w.sinkFail.Store(&sinkFailure{at: time.Now().Add(-sinkFailWindow - time.Second), err: syscall.ENOSPC})
	if a := e.get(t, "/readyz"); a.status != 200 {
		t.Fatalf("readyz after the window: %d %q", a.status, a.body)
	}
}

// TestAdminHandlerSeparate: with SeparateAdmin, /metrics is served only by
// AdminHandler; /healthz and /readyz stay on the main handler.
func TestAdminHandlerSeparate(t *testing.T) {
	e := start(t, nil, func(c *Config) { c.SeparateAdmin = true })
	if a := e.get(t, "/metrics"); a.status != 404 || !strings.Contains(a.body, "admin") {
		t.Fatalf("main /metrics: %d %q", a.status, a.body)
	}
	if a := getAdmin(e.w, "/metrics"); a.status != 200 || !strings.Contains(a.body, "wxhook_received_total") {
		t.Fatalf("admin /metrics: %d", a.status)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if a := e.get(t, p); a.status != 200 {
			t.Fatalf("main %s: %d", p, a.status)
		}
		if a := getAdmin(e.w, p); a.status != 200 {
			t.Fatalf("admin %s: %d", p, a.status)
		}
	}
	if a := getAdmin(e.w, "/hook/eyun"); a.status != 404 {
		t.Fatalf("admin /hook/eyun: %d", a.status)
	}
}
