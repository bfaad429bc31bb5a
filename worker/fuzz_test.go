package worker

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/sink"
)

// FuzzWorkerHook sends arbitrary bodies to every route: the worker must
// answer with one of its documented statuses and a JSON body, never panic,
// and only ever hand valid JSON lines to the sink.
func FuzzWorkerHook(f *testing.F) {
	for _, d := range []string{"wecom", "eyun", "dll", "gewe", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "callbacks", d, "*.json"))
		for i, p := range files {
			if b, err := os.ReadFile(p); err == nil && i < 6 {
				f.Add(uint8(i), b)
			}
		}
	}
	var out bytes.Buffer
	ds, err := dedup.OpenLocal(filepath.Join(f.TempDir(), "dedup.db"), dedup.Options{})
	if err != nil {
		f.Fatal(err)
	}
	w, err := New(Config{Engine: decoder.NewEngine(), Dedup: ds, Sink: sink.NewWriter(&out), Secret: secret,
		DataDir: f.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 64 << 10,
		AllowAccounts: []string{"wxid_ctqh94e1ahe722", "1832041745276633088", ""}})
	if err != nil {
		f.Fatal(err)
	}
	routes := []string{"/hook", "/hook/eyun", "/hook/wecom", "/hook/dll", "/hook/" + secret + "/eyun", "/hook/" + secret, "/hook/x/y/z", "/hook/auto"}
	allowed := map[int]bool{200: true, 400: true, 401: true, 403: true, 404: true, 409: true, 413: true}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		out.Reset()
		path := routes[int(route)%len(routes)]
		req := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: path}, Header: http.Header{},
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), RemoteAddr: "127.0.0.1:9"}
		if route&0x80 != 0 {
			req.Header.Set("X-Wxhook-Secret", secret)
		}
		resp := &rw{h: http.Header{}}
		var got bytes.Buffer
		w.ServeHTTP(&recorder{rw: resp, body: &got}, req)
		status := resp.status
		if status == 0 {
			status = 200
		}
		if !allowed[status] {
			t.Fatalf("%s: status %d", path, status)
		}
		if !json.Valid(got.Bytes()) {
			t.Fatalf("%s: answer %q is not JSON", path, got.Bytes())
		}
		for _, line := range bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n")) {
			if len(line) > 0 && !json.Valid(line) {
				t.Fatalf("sink got invalid JSON %q", line)
			}
		}
	})
}

// recorder keeps the body written through an rw.
type recorder struct {
	rw   *rw
	body *bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.rw.Header() }
func (r *recorder) WriteHeader(s int)   { r.rw.WriteHeader(s) }
func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.rw.Write(p)
}
