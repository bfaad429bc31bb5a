package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/internal/conformance"
	"github.com/wxhook/wxhook/wasm/proxywasm/proxytest"
)

// reference is the native decoder's answer for a body (the conformance
// kit's Result), with the event's chat, which Result does not carry, and the
// error code.
type reference struct {
	conformance.Result
	chat string
	code string
}

func referenceOf(body []byte, d decoder.Dialect) reference {
	r := reference{Result: conformance.Reference(conformance.Case{Body: body, Dialect: d})}
	if !r.OK {
		e, err := decoder.ParseErrorJSON(r.JSON)
		if err != nil {
			panic(err)
		}
		r.code = string(e.Code)
		return r
	}
	var dec decoder.Decoder
	var ev decoder.Event
	if err := dec.Decode(body, d, &ev); err != nil {
		panic(err)
	}
	r.chat = ev.Chat.String()
	return r
}

// result is the conformance kit's Result for what the filter did with a
// request: the 400's canonical error JSON, or the body passed on with the
// annotations it published.
func result(t testing.TB, s *proxytest.Stream) conformance.Result {
	t.Helper()
	if r := s.LocalReply; r != nil {
		if r.Status != 400 {
			t.Fatalf("local reply %d %s", r.Status, r.Body)
		}
		return conformance.Result{JSON: r.Body}
	}
	vendor, ok1 := decoder.ParseDialect(s.FilterState["wasm.wxhook.vendor"])
	kind, ok2 := decoder.ParseKind(s.FilterState["wasm.wxhook.kind"])
	if !ok1 || !ok2 || vendor == decoder.Auto {
		t.Fatalf("annotations %v", s.FilterState)
	}
	var key []byte
	if k := s.FilterState["wasm.wxhook.dedup_key"]; k != "" {
		key = []byte(k)
	}
	return conformance.Result{OK: true, JSON: s.Upstream.Body, Vendor: vendor, Kind: kind, DedupKey: key}
}

// routesFor is a configuration acting on /hook/<dialect> with that dialect.
func configFor(mode string, d decoder.Dialect, extra string) string {
	return fmt.Sprintf(`{"mode":%q,"paths":[{"path":"/hook/%s","dialect":%q}]%s}`, mode, d, d.String(), extra)
}

// chunks cuts b into n nearly equal pieces (n >= 1).
func chunks(b []byte, n int) [][]byte {
	if n > len(b) {
		n = max(len(b), 1)
	}
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, b[i*len(b)/n:(i+1)*len(b)/n])
	}
	return out
}

// checkResult compares what the filter did to a request with the native
// decoder's answer for its body.
func checkResult(t *testing.T, mode string, s *proxytest.Stream, body []byte, want reference) {
	t.Helper()
	if !want.OK {
		r := s.LocalReply
		if r == nil {
			t.Fatalf("undecodable body (%s) was passed on: %s", want.code, s.Upstream.Body)
		}
		if r.Status != 400 || !bytes.Equal(r.Body, want.JSON) {
			t.Fatalf("local reply %d %s\nwant 400 %s", r.Status, r.Body, want.JSON)
		}
		if !reflect.DeepEqual(r.Headers, [][2]string{{"content-type", "application/json"}}) {
			t.Fatalf("local reply headers %v", r.Headers)
		}
		if got := s.FilterState["wasm.wxhook.error"]; got != want.code {
			t.Fatalf("wxhook.error = %q, want %q", got, want.code)
		}
		return
	}
	if s.LocalReply != nil {
		t.Fatalf("decodable body got a local reply %d %s", s.LocalReply.Status, s.LocalReply.Body)
	}
	if !s.Upstream.EndStream {
		t.Fatalf("request not passed on to its end: %+v", s.Upstream)
	}
	wantBody := body
	if mode == "normalize" {
		wantBody = want.JSON
	}
	if !bytes.Equal(s.Upstream.Body, wantBody) {
		t.Fatalf("upstream body\n%s\nwant\n%s", s.Upstream.Body, wantBody)
	}
	for k, v := range map[string]string{"vendor": want.Vendor.String(), "kind": want.Kind.String(), "chat": want.chat, "dedup_key": string(want.DedupKey)} {
		if got, ok := s.FilterState["wasm.wxhook."+k]; !ok || got != v {
			t.Fatalf("property wxhook.%s = %q (set %v), want %q", k, got, ok, v)
		}
	}
}

// TestConformance is this runtime's adapter on the conformance kit: every
// fixture (with its dialect) through the compiled filter in both modes, with
// the body in one chunk and in three, then the parity corpus (fixtures with
// auto-detection, the fuzz corpus, generated mutations) in normalize mode.
// The normalized body is the native decoder's canonical JSON byte for byte,
// the annotations are its Meta (and the event's chat), errors are its
// canonical error JSON in a 400; annotate mode passes the body unchanged.
func TestConformance(t *testing.T) {
	vm := newHost(t, proxytest.Options{})
	plugins := map[string]*proxytest.Plugin{}
	for _, mode := range []string{"normalize", "annotate"} {
		for _, d := range decoder.Dialects() { // Auto and every vendor dialect
			plugins[mode+d.String()] = startPlugin(t, vm, configFor(mode, d, ""))
		}
	}
	run := func(c conformance.Case, mode string, pieces int) bool {
		t.Helper()
		s := plugins[mode+c.Dialect.String()].NewStream()
		if err := s.Send(post("/hook/"+c.Dialect.String()), chunks(c.Body, pieces)...); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		checkClean(t, vm)
		want := referenceOf(c.Body, c.Dialect)
		if want.OK && s.FilterState["wasm.wxhook.chat"] != want.chat {
			t.Errorf("%s: chat %q, want %q", c.Name, s.FilterState["wasm.wxhook.chat"], want.chat)
		}
		if want.OK && mode == "normalize" {
			if _, ok := s.Upstream.Header("content-length"); ok {
				t.Errorf("%s: content-length left in place although the body changes", c.Name)
			}
		}
		if want.OK && mode == "annotate" {
			want.JSON = c.Body // the body passes unchanged
		}
		return conformance.Check(t, "proxy-wasm filter ("+mode+", "+strconv.Itoa(pieces)+" chunks)", c, result(t, s), want.Result)
	}
	fails := 0
	fs := conformance.Fixtures(t)
	for _, c := range fs {
		for _, mode := range []string{"normalize", "annotate"} {
			for _, pieces := range []int{1, 3} {
				if !run(c, mode, pieces) {
					fails++
				}
			}
		}
	}
	parity := conformance.Parity(t, conformance.Generated())
	for _, c := range parity {
		if len(c.Body) > defaultMaxBody {
			continue
		}
		if !run(c, "normalize", 2) {
			fails++
		}
		if fails > 10 {
			t.Fatal("too many differences")
		}
	}
	if len(fs) < 90 || len(parity) < len(fs) {
		t.Fatalf("only %d fixtures, %d parity cases", len(fs), len(parity))
	}
}

// TestSplitEveryByte sends a small fixture split in two at every byte
// boundary, and in one-byte chunks: the result never depends on how the
// body arrives.
func TestSplitEveryByte(t *testing.T) {
	vm := newHost(t, proxytest.Options{})
	p := startPlugin(t, vm, `{"mode":"normalize"}`)
	body, err := os.ReadFile("testdata/callbacks/wecom/seed_text_private.json")
	if err != nil {
		t.Fatal(err)
	}
	want := referenceOf(body, decoder.Auto)
	for i := 0; i <= len(body); i++ {
		s := p.NewStream()
		if err := s.Send(post("/hook"), body[:i], body[i:]); err != nil {
			t.Fatal(err)
		}
		checkResult(t, "normalize", s, body, want)
	}
	s := p.NewStream()
	if err := s.Send(post("/hook"), chunks(body, len(body))...); err != nil {
		t.Fatal(err)
	}
	checkResult(t, "normalize", s, body, want)
	checkClean(t, vm)
}

// TestCallOrder checks the callbacks the host makes and their order, for a
// request passed on and one answered locally, against Envoy's sequence.
func TestCallOrder(t *testing.T) {
	vm := newHost(t, proxytest.Options{Record: true})
	p := startPlugin(t, vm, `{"mode":"normalize"}`)
	good, _ := os.ReadFile("testdata/callbacks/eyun/seed_text_private.json")
	s := p.NewStream()
	if err := s.Send(post("/hook"), good[:100], good[100:200], good[200:]); err != nil {
		t.Fatal(err)
	}
	bad := []byte(`{"nope":1}`)
	s2 := p.NewStream()
	if err := s2.Send(post("/hook"), bad); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	checkClean(t, vm)
	n := strconv.Itoa(len(good))
	want := []string{
		"_initialize()",
		"proxy_on_context_create(1,0)", "proxy_on_vm_start(1,0)", "proxy_on_configure(1,20)",
		// on_request_headers: Continue; the body is buffered (Pause) until
		// the end of stream, each call seeing all bytes buffered so far.
		"proxy_on_context_create(2,1)", "proxy_on_request_headers(2,5,0)",
		"proxy_on_request_body(2,100,0)", "proxy_on_request_body(2,200,0)", "proxy_on_request_body(2," + n + ",1)",
		"proxy_on_done(2)", "proxy_on_delete(2)",
		// A local reply ends the stream: nothing more but done and delete.
		"proxy_on_context_create(3,1)", "proxy_on_request_headers(3,5,0)", "proxy_on_request_body(3,10,1)",
		"proxy_on_done(3)", "proxy_on_delete(3)",
		"proxy_on_done(1)", "proxy_on_delete(1)",
	}
	if !reflect.DeepEqual(vm.Calls, want) {
		t.Fatalf("calls\n%s\nwant\n%s", strings.Join(vm.Calls, "\n"), strings.Join(want, "\n"))
	}
	if s.DoneResult != 1 || s2.DoneResult != 1 {
		t.Fatal("proxy_on_done must return true: the filter never holds a context back")
	}
	if s2.LocalReply == nil || s2.LocalReply.Status != 400 || s2.LocalReply.Details != "wxhook_rejected" {
		t.Fatalf("local reply %+v", s2.LocalReply)
	}
	if !s2.Upstream.Reset {
		t.Fatal("headers went upstream before the body was known: the upstream request must be reset")
	}
}

// TestNotActedOn: requests the configuration does not select pass untouched
// and without buffering.
func TestNotActedOn(t *testing.T) {
	vm := newHost(t, proxytest.Options{})
	p := startPlugin(t, vm, `{"mode":"normalize","paths":[{"path":"/hook/eyun","dialect":"eyun"},{"prefix":"/wx/"}]}`)
	body := []byte(`not json at all`)
	cases := []struct {
		name    string
		headers [][2]string
		chunks  [][]byte
	}{
		{"GET", [][2]string{{":method", "GET"}, {":path", "/hook/eyun"}}, [][]byte{body}},
		{"other path", post("/hook/eyunx"), [][]byte{body}},
		{"prefix is not a path", post("/wx"), [][]byte{body}},
		{"POST without body", post("/hook/eyun"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := p.NewStream()
			if err := s.Send(c.headers, c.chunks...); err != nil {
				t.Fatal(err)
			}
			if s.LocalReply != nil || !s.Upstream.EndStream || !bytes.Equal(s.Upstream.Body, bytes.Join(c.chunks, nil)) {
				t.Fatalf("request was touched: reply %+v upstream %+v", s.LocalReply, s.Upstream)
			}
			if !reflect.DeepEqual(s.Upstream.Headers, c.headers) || len(s.FilterState) != 0 {
				t.Fatalf("headers %v state %v", s.Upstream.Headers, s.FilterState)
			}
		})
	}
	// Selected: exact path with its dialect, the prefix with the default.
	for _, path := range []string{"/hook/eyun?x=1", "/wx/anything"} {
		s := p.NewStream()
		if err := s.Send(post(path), body); err != nil {
			t.Fatal(err)
		}
		if s.LocalReply == nil || s.LocalReply.Status != 400 {
			t.Fatalf("%s: not acted on: %+v", path, s.LocalReply)
		}
	}
	checkClean(t, vm)
}

// TestTooLarge: a declared content-length over max_body is refused at the
// headers; a body growing past it while buffered is refused at that chunk;
// Envoy's own buffer limit answers 413 by itself when it is lower.
func TestTooLarge(t *testing.T) {
	vm := newHost(t, proxytest.Options{})
	p := startPlugin(t, vm, `{"mode":"annotate","max_body":100}`)
	want := `{"error":{"code":"too_large","vendor":"auto","offset":100,"detail":"callback body exceeds the filter's max_body of 100 bytes"}}`
	check := func(s *proxytest.Stream) {
		t.Helper()
		r := s.LocalReply
		if r == nil || r.Status != 413 || string(r.Body) != want || r.Details != "wxhook_body_too_large" {
			t.Fatalf("reply %+v", r)
		}
		if s.Upstream.Body != nil {
			t.Fatalf("body passed on: %q", s.Upstream.Body)
		}
	}
	s := p.NewStream()
	if err := s.Send(post("/hook", [2]string{"content-length", "101"}), bytes.Repeat([]byte("x"), 101)); err != nil {
		t.Fatal(err)
	}
	check(s)
	if s.Upstream.HeadersSent {
		t.Fatal("headers passed on although content-length was over the limit")
	}
	s = p.NewStream()
	if err := s.Send(post("/hook"), bytes.Repeat([]byte("x"), 60), bytes.Repeat([]byte("x"), 41)); err != nil {
		t.Fatal(err)
	}
	check(s)
	// Exactly at the limit is fine (and undecodable here: 400).
	s = p.NewStream()
	if err := s.Send(post("/hook"), bytes.Repeat([]byte("x"), 100)); err != nil {
		t.Fatal(err)
	}
	if s.LocalReply == nil || s.LocalReply.Status != 400 {
		t.Fatalf("100 bytes: %+v", s.LocalReply)
	}
	checkClean(t, vm)

	// Envoy's buffer limit below max_body: Envoy's 413, not the filter's.
	vm2 := newHost(t, proxytest.Options{BufferLimit: 50})
	p2 := startPlugin(t, vm2, `{"mode":"normalize"}`)
	s = p2.NewStream()
	if err := s.Send(post("/hook"), bytes.Repeat([]byte("x"), 40), bytes.Repeat([]byte("x"), 40)); err != nil {
		t.Fatal(err)
	}
	if s.LocalReply == nil || s.LocalReply.Status != 413 || s.LocalReply.Details != "request_payload_too_large" {
		t.Fatalf("Envoy buffer limit: %+v", s.LocalReply)
	}
	checkClean(t, vm2)
}

// TestPassInvalid: on_error "pass" forwards undecodable bodies unchanged,
// marked with wxhook.error.
func TestPassInvalid(t *testing.T) {
	vm := newHost(t, proxytest.Options{})
	p := startPlugin(t, vm, `{"mode":"normalize","on_error":"pass"}`)
	body := []byte(`{"nope":1}`)
	s := p.NewStream()
	if err := s.Send(post("/hook"), body); err != nil {
		t.Fatal(err)
	}
	if s.LocalReply != nil || !bytes.Equal(s.Upstream.Body, body) || !s.Upstream.EndStream {
		t.Fatalf("reply %+v upstream %+v", s.LocalReply, s.Upstream)
	}
	if s.FilterState["wasm.wxhook.error"] != "unknown_dialect" || s.FilterState["wasm.wxhook.kind"] != "" {
		t.Fatalf("state %v", s.FilterState)
	}
	checkClean(t, vm)

	// With the headers held, the mark is also a header, and the original
	// length stays right because the body did not change.
	vm2 := newHost(t, proxytest.Options{AllowOnHeadersStopIteration: true})
	p2 := startPlugin(t, vm2, `{"mode":"normalize","on_error":"pass","hold_headers":true}`)
	s = p2.NewStream()
	if err := s.Send(post("/hook", [2]string{"content-length", "10"}), body); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.Upstream.Header("x-wxhook-error"); e != "unknown_dialect" || !bytes.Equal(s.Upstream.Body, body) {
		t.Fatalf("headers %v body %q", s.Upstream.Headers, s.Upstream.Body)
	}
	if cl, _ := s.Upstream.Header("content-length"); cl != "10" {
		t.Fatalf("content-length %q", cl)
	}
	checkClean(t, vm2)
}

// TestHoldHeaders: with hold_headers, Envoy >= 1.35 and
// allow_on_headers_stop_iteration, the headers wait for the body and leave
// with x-wxhook-* annotations and, in normalize mode, the exact length. On
// a default Envoy the same configuration stalls the request: Envoy turns
// the Pause into StopAllIterationAndWatermark and never calls the body
// callback — which is why hold_headers is off by default.
func TestHoldHeaders(t *testing.T) {
	body, _ := os.ReadFile("testdata/callbacks/dll/text_private.json")
	want := referenceOf(body, decoder.Auto)

	vm := newHost(t, proxytest.Options{AllowOnHeadersStopIteration: true})
	for _, mode := range []string{"normalize", "annotate"} {
		p := startPlugin(t, vm, `{"mode":"`+mode+`","hold_headers":true}`)
		s := p.NewStream()
		cl := [2]string{"content-length", strconv.Itoa(len(body))}
		if err := s.Send(post("/hook", cl), body[:7], body[7:]); err != nil {
			t.Fatal(err)
		}
		checkResult(t, mode, s, body, want)
		wantHeaders := map[string]string{"x-wxhook-vendor": want.Vendor.String(), "x-wxhook-kind": want.Kind.String(),
			"x-wxhook-chat": want.chat, "x-wxhook-dedup-key": string(want.DedupKey), "content-type": "application/json",
			"content-length": strconv.Itoa(len(s.Upstream.Body))}
		for k, v := range wantHeaders {
			if got, _ := s.Upstream.Header(k); got != v {
				t.Fatalf("%s: header %s = %q, want %q (headers %v)", mode, k, got, v, s.Upstream.Headers)
			}
		}
		if s.RouteCacheCleared != 1 {
			t.Fatalf("%s: route cache cleared %d times", mode, s.RouteCacheCleared)
		}
	}
	checkClean(t, vm)

	vm2 := newHost(t, proxytest.Options{})
	p := startPlugin(t, vm2, `{"mode":"normalize","hold_headers":true}`)
	s := p.NewStream()
	st, err := s.RequestHeaders(post("/hook"), false)
	if err != nil || st != proxytest.HeadersStopAllIterationAndWatermark {
		t.Fatalf("headers: %v %v", st, err)
	}
	if _, err := s.RequestBody(body, true); !errors.Is(err, proxytest.ErrStalled) {
		t.Fatalf("default Envoy: body callback reached the filter (%v)", err)
	}
}

// TestDefaultEnvoyHeaders: without hold_headers the headers leave at once.
// Normalize mode drops content-length (Envoy then frames the new body) and
// sets content-type; header changes from the body callback would be refused
// by Envoy, so the filter does not try (no violations, no warnings).
func TestDefaultEnvoyHeaders(t *testing.T) {
	body, _ := os.ReadFile("testdata/callbacks/eyun/seed_image_private.json")
	vm := newHost(t, proxytest.Options{})
	p := startPlugin(t, vm, `{"mode":"normalize"}`)
	s := p.NewStream()
	if err := s.Send(post("/hook", [2]string{"content-length", strconv.Itoa(len(body))}, [2]string{"content-type", "text/plain"}), body); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Upstream.Header("content-length"); ok {
		t.Fatal("content-length kept")
	}
	for _, h := range s.Upstream.Headers {
		if h[0] == "content-type" && h[1] != "application/json" || strings.HasPrefix(h[0], "x-wxhook-") {
			t.Fatalf("header %v", h)
		}
	}
	for _, l := range vm.Logs {
		if l.Level >= 3 {
			t.Fatalf("log %v", l)
		}
	}
	checkClean(t, vm)
}

// TestTrailers: a body ended by trailers is decoded at the trailers.
func TestTrailers(t *testing.T) {
	body, _ := os.ReadFile("testdata/callbacks/wecom/seed_url.json")
	want := referenceOf(body, decoder.Auto)
	vm := newHost(t, proxytest.Options{})
	p := startPlugin(t, vm, `{"mode":"normalize"}`)
	s := p.NewStream()
	if _, err := s.RequestHeaders(post("/hook"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestBody(body, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestTrailers([][2]string{{"x-t", "1"}}); err != nil {
		t.Fatal(err)
	}
	checkResult(t, "normalize", s, body, want)
	checkClean(t, vm)
}

// TestTrailersWithoutBody: a request whose headers are followed directly by
// trailers has an empty body. Envoy's proxy_get_buffer_bytes answers OK for
// an empty buffer without writing the result address and size (the
// proxytest host does the same), so the filter must not read whatever an
// earlier host call left there: it decodes the empty body and answers with
// its canonical error.
func TestTrailersWithoutBody(t *testing.T) {
	want := referenceOf(nil, decoder.Auto)
	if want.OK {
		t.Fatal("an empty body decodes")
	}
	for _, mode := range []string{"normalize", "annotate"} {
		vm := newHost(t, proxytest.Options{})
		p := startPlugin(t, vm, `{"mode":"`+mode+`"}`)
		s := p.NewStream()
		if _, err := s.RequestHeaders(post("/hook/eyun", [2]string{"x-long", strings.Repeat("x", 64)}), false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RequestTrailers([][2]string{{"x-t", "1"}}); err != nil {
			t.Fatal(err)
		}
		checkResult(t, mode, s, nil, want)
		checkClean(t, vm)
	}
}

// TestBadConfigurations: each is refused by proxy_on_configure with the
// reason logged at error level; a good one after them still works.
func TestBadConfigurations(t *testing.T) {
	vm := newHost(t, proxytest.Options{})
	for cfg, reason := range map[string]string{
		``:                                       "empty",
		`[]`:                                     "not a JSON object",
		`{"mode":"normalise"}`:                   `"normalise" is not`,
		`{}`:                                     "mode: missing",
		`{"mode":"annotate","max_body":0}`:       "max_body: 0 is not an integer from 1 to 16777216",
		`{"mode":"annotate","max_body":"1"}`:     "max_body: must be a number",
		`{"mode":"annotate","dialect":"wechat"}`: `dialect: "wechat" is not`,
		`{"mode":"annotate","paths":[]}`:         "paths: is empty",
		`{"mode":"annotate","paths":[{"path":"hook"}]}`:             `paths[0].path: "hook" does not start with "/"`,
		`{"mode":"annotate","paths":[{"path":"/a","prefix":"/b"}]}`: `paths[0]: give one "path" or one "prefix"`,
		`{"mode":"annotate","paths":[{"dialect":"eyun"}]}`:          `paths[0]: needs "path" or "prefix"`,
		`{"mode":"annotate","on_error":"drop"}`:                     `on_error: "drop" is not`,
		`{"mode":"annotate","hold_headers":1}`:                      "hold_headers: must be true or false",
		`{"mode":"annotate","mode":"normalize"}`:                    "mode: given twice",
		`{"mode":"annotate","extra":1}`:                             "extra: unknown field",
		`{"mode":"annotate"} x`:                                     "not valid JSON",
		`{"mode":"annotate"`:                                        "not valid JSON",
	} {
		before := len(vm.Logs)
		if _, err := vm.StartPlugin([]byte(cfg)); err == nil {
			t.Fatalf("%s: accepted", cfg)
		}
		logged := vm.Logs[before:]
		if len(logged) == 0 || logged[len(logged)-1].Level != 4 || !strings.Contains(logged[len(logged)-1].Message, reason) {
			t.Fatalf("%s: logged %v, want an error containing %q", cfg, logged, reason)
		}
	}
	startPlugin(t, vm, `{"mode":"annotate"}`)
	checkClean(t, vm)
}

// TestParseConfig checks the parsed values of good configurations.
func TestParseConfig(t *testing.T) {
	c, err := parseConfig([]byte(`{"mode":"normalize"}`))
	if err != nil || c.mode != modeNormalize || c.dialect != decoder.Auto || len(c.routes) != 0 ||
		c.maxBody != defaultMaxBody || c.passInvalid || c.holdHeaders {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = parseConfig([]byte(` {"mode":"annotate","dialect":"dll","max_body":16777216,"on_error":"pass","hold_headers":true,
		"paths":[{"prefix":"/a/","dialect":"eyun"},{"path":"/b"}]} `))
	if err != nil {
		t.Fatal(err)
	}
	want := &config{mode: modeAnnotate, dialect: decoder.DLL, maxBody: decoder.MaxInput, passInvalid: true, holdHeaders: true,
		routes: []route{{path: "/a/", prefix: true, dialect: decoder.Eyun}, {path: "/b", dialect: decoder.DLL}}}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("%+v\nwant %+v", c, want)
	}
	c, err = parseConfig([]byte(`{"mode":"normalize","max_body":1.048576e+06}`))
	if err != nil || c.maxBody != 1<<20 {
		t.Fatalf("float notation: %+v %v", c, err)
	}
	if _, err := parseConfig([]byte(`{"mode":"normalize","max_body":1.5}`)); err == nil {
		t.Fatal("max_body 1.5 accepted")
	}
	c, _ = parseConfig([]byte(` {"mode":"annotate","dialect":"dll","paths":[{"prefix":"/a/","dialect":"eyun"},{"path":"/b"}]}`))
	for path, wantD := range map[string]decoder.Dialect{"/a/x": decoder.Eyun, "/a/": decoder.Eyun, "/b?q": decoder.DLL} {
		if d, ok := c.match([]byte(path)); !ok || d != wantD {
			t.Fatalf("%s: %v %v", path, d, ok)
		}
	}
	for _, path := range []string{"/a", "/b/", "/c"} {
		if _, ok := c.match([]byte(path)); ok {
			t.Fatalf("%s matched", path)
		}
	}
}

// TestReadmeConfigs: the configurations shown in README.md and envoy.yaml
// are accepted.
func TestReadmeConfigs(t *testing.T) {
	for _, name := range []string{"README.md", "envoy.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			i := strings.Index(line, `{"mode"`)
			if i < 0 {
				continue
			}
			js := line[i:]
			js = js[:strings.LastIndex(js, "}")+1]
			if !json.Valid([]byte(js)) {
				continue
			}
			if _, err := parseConfig([]byte(js)); err != nil {
				t.Errorf("%s: %s: %v", name, js, err)
			}
			n++
		}
		if n == 0 {
			t.Errorf("%s: no configuration found", name)
		}
	}
}

// TestLargeBody: a body near max_body (1 MiB by default) arriving in 64 KiB
// chunks is decoded and replaced like a small one; the arena reserved at
// configuration serves it.
func TestLargeBody(t *testing.T) {
	small, err := os.ReadFile("testdata/callbacks/eyun/seed_text_private.json")
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Replace(small, []byte("这是一条文本内容"), bytes.Repeat([]byte("长"), (defaultMaxBody-len(small))/3), 1)
	if len(body) > defaultMaxBody || len(body) < defaultMaxBody-100 {
		t.Fatalf("body of %d bytes", len(body))
	}
	want := referenceOf(body, decoder.Auto)
	if !want.OK {
		t.Fatalf("the large body does not decode: %s", want.JSON)
	}
	vm := newHost(t, proxytest.Options{BufferLimit: defaultMaxBody})
	p := startPlugin(t, vm, `{"mode":"normalize"}`)
	for i := 0; i < 3; i++ {
		s := p.NewStream()
		if err := s.Send(post("/hook"), chunks(body, len(body)/(64<<10)+1)...); err != nil {
			t.Fatal(err)
		}
		checkResult(t, "normalize", s, body, want)
	}
	checkClean(t, vm)
}
