package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/dedup"
	"github.com/wxhook/wxhook/worker/sink"
)

// Shared header values: assigning a shared slice avoids the allocation of
// Header.Set. net/http only reads them.
var (
	ctJSON     = []string{"application/json"}
	ctText     = []string{"text/plain; charset=utf-8"}
	retryAfter = []string{"1"}
	connClose  = []string{"close"}
	yes        = []string{"1"}
	okBody     = []byte("{}")
)

// reqBuf is a request's pooled memory: the body and the canonical output.
type reqBuf struct{ body, out []byte }

// maxPooled keeps huge buffers (a rare 8 MiB body) out of the pool.
const maxPooled = 1 << 20

// ServeHTTP routes /hook…, /healthz, /readyz and /metrics.
func (w *Worker) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/hook" || strings.HasPrefix(path, "/hook/"):
		w.hook(rw, r, strings.TrimPrefix(strings.TrimPrefix(path, "/hook"), "/"))
	case path == "/healthz":
		rw.Header()["Content-Type"] = ctText
		io.WriteString(rw, "ok\n")
	case path == "/readyz":
		w.readyz(rw, r)
	case path == "/metrics":
		w.metricsH.ServeHTTP(rw, r)
	default:
		w.fail(rw, r, http.StatusNotFound, &decoder.Error{Code: codeNotFound, Offset: -1}, nil, false)
	}
}

func (w *Worker) readyz(rw http.ResponseWriter, r *http.Request) {
	res := w.Ready(r.Context())
	status := http.StatusOK
	b := []byte{'{'}
	for _, k := range []string{"engine", "dedup", "sink", "worker"} {
		err, ok := res[k]
		if !ok {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		if err != nil {
			status = http.StatusServiceUnavailable
			b = appendJSONString(b, err.Error())
		} else {
			b = append(b, `"ok"`...)
		}
	}
	b = append(b, "}\n"...)
	rw.Header()["Content-Type"] = ctJSON
	rw.WriteHeader(status)
	rw.Write(b)
}

// route splits what follows /hook/: "" | "{vendor}" | "{secret}" |
// "{secret}/{vendor}".
func route(rest string) (d decoder.Dialect, secret string, ok bool) {
	if rest == "" {
		return decoder.Auto, "", true
	}
	first, second, two := strings.Cut(rest, "/")
	if !two {
		if d, ok := decoder.ParseDialect(first); ok {
			return d, "", true
		}
		return decoder.Auto, first, true
	}
	if strings.Contains(second, "/") || first == "" {
		return decoder.Auto, "", false
	}
	d, ok = decoder.ParseDialect(second)
	return d, first, ok
}

func (w *Worker) authorized(r *http.Request, pathSecret string) (bool, decoder.Code) {
	if w.cfg.Insecure {
		return true, ""
	}
	given := pathSecret
	if given == "" {
		given = r.Header.Get("X-Wxhook-Secret")
	}
	if given == "" {
		return false, codeUnauthorized
	}
	// Comparing fixed-size digests keeps the comparison constant-time in
	// the secret's length too.
	h := sha256.Sum256([]byte(given))
	if subtle.ConstantTimeCompare(h[:], w.secret[:]) != 1 {
		return false, codeForbidden
	}
	return true, ""
}

func (w *Worker) hook(rw http.ResponseWriter, r *http.Request, rest string) {
	dialect, secret, ok := route(rest)
	if !ok {
		w.fail(rw, r, http.StatusNotFound, &decoder.Error{Code: codeNotFound, Offset: -1, Detail: "routes: /hook, /hook/{vendor}, /hook/{secret}/{vendor}"}, nil, false)
		return
	}
	w.m.received[dialect].Inc()
	if r.Method != http.MethodPost {
		rw.Header()["Allow"] = []string{http.MethodPost}
		w.fail(rw, r, http.StatusMethodNotAllowed, &decoder.Error{Code: codeMethod, Dialect: dialect, Offset: -1}, nil, false)
		return
	}
	if ok, code := w.authorized(r, secret); !ok {
		status := http.StatusForbidden
		if code == codeUnauthorized {
			status = http.StatusUnauthorized
		}
		w.fail(rw, r, status, &decoder.Error{Code: code, Dialect: dialect, Offset: -1}, nil, false)
		return
	}

	rb, _ := w.bufs.Get().(*reqBuf)
	if rb == nil {
		rb = &reqBuf{body: make([]byte, 0, 8192), out: make([]byte, 0, 8192)}
	}
	defer func() {
		if cap(rb.body) <= maxPooled && cap(rb.out) <= maxPooled {
			w.bufs.Put(rb)
		}
	}()

	body, err := w.readBody(r, rb.body[:0])
	rb.body = body[:0]
	if err != nil {
		if errors.Is(err, errTooLarge) {
			w.fail(rw, r, http.StatusRequestEntityTooLarge, &decoder.Error{Code: decoder.CodeTooLarge, Dialect: dialect, Offset: -1, Detail: "body exceeds the size limit"}, nil, false)
		} else {
			w.fail(rw, r, http.StatusBadRequest, &decoder.Error{Code: codeReadFailed, Dialect: dialect, Offset: -1, Detail: err.Error()}, nil, false)
		}
		return
	}

	// From here on nothing waits on the client, so the request's context is
	// left out: net/http cancels it when it reads EOF from the connection,
	// and a client that half-closes after sending its body (TCP FIN) looks
	// just like one that left, while it still waits for the answer. With
	// that context the answer depended on a race with the engine (the wasm
	// dispatcher lost it for about half of such clients, 503). The body is
	// whole: decoding it, the dedup store and the sink bound their own
	// waits, and a client that did leave finds its event accepted when it
	// retries. Background rather than context.WithoutCancel(r.Context()),
	// which allocates; nothing below reads context values.
	ctx := context.Background()
	out, meta, err := w.cfg.Engine.AppendDecode(ctx, rb.out[:0], body, dialect)
	if err != nil {
		var de *decoder.Error
		if !errors.As(err, &de) {
			de = &decoder.Error{Code: decoder.CodeInternal, Dialect: dialect, Offset: -1, Detail: err.Error()}
		}
		status := http.StatusBadRequest
		switch de.Code {
		case decoder.CodeTooLarge:
			status = http.StatusRequestEntityTooLarge
		case decoder.CodeInternal:
			// The engine failed, not the body: let the vendor retry.
			status = http.StatusInternalServerError
		}
		// A body too large for the decoder (MaxBody above decoder.MaxInput)
		// is not kept: no replay of it could ever succeed.
		w.fail(rw, r, status, de, body, status != http.StatusRequestEntityTooLarge)
		return
	}
	out = append(out, '\n')
	rb.out = out[:0]
	vendor := meta.Vendor
	if int(vendor) >= len(w.m.decoded) {
		vendor = decoder.Auto
	}
	kind := meta.Kind
	if int(kind) >= len(w.m.decoded[vendor]) {
		kind = decoder.KindUnknown
	}
	w.m.decoded[vendor][kind].Inc()

	if w.allow != nil {
		if _, ok := w.allow[string(account(out))]; !ok {
			w.fail(rw, r, http.StatusForbidden, &decoder.Error{Code: codeNotAllowed, Dialect: vendor, Field: "account", Offset: -1, Detail: string(account(out))}, body, true)
			return
		}
	}

	key := meta.DedupKey
	var claim dedup.Claim // non-zero once the key is reserved for this request
	if len(key) > 0 {
		st, c, err := w.cfg.Dedup.Reserve(ctx, key)
		switch {
		case err != nil:
			// Fail closed: delivered now, the event's key could not be
			// recorded and a resend after the outage would be delivered
			// again. Refused, the vendor retries (README: "Redis down").
			w.m.dedupErrs.Inc()
			w.log.Warn("dedup store failed; refusing the callback so that the vendor retries", "err", err, "dedup_key", string(key))
			rw.Header()["Retry-After"] = retryAfter
			w.fail(rw, r, http.StatusServiceUnavailable, &decoder.Error{Code: codeUnavailable, Dialect: vendor, Offset: -1, Detail: "dedup store unavailable"}, nil, false)
			return
		case st == dedup.Duplicate:
			w.m.duplicates[vendor].Inc()
			// Same answer as for a new event (the vendor must stop
			// retrying); the header tells a person or `wxhook replay`
			// that nothing was delivered this time.
			rw.Header()["X-Wxhook-Duplicate"] = yes
			writeOK(rw)
			return
		case st == dedup.InFlight:
			rw.Header()["Retry-After"] = retryAfter
			w.fail(rw, r, http.StatusConflict, &decoder.Error{Code: codeInFlight, Dialect: vendor, Offset: -1, Detail: "this event is being delivered; retry"}, nil, false)
			return
		default:
			claim = c
		}
	}

	start := time.Now()
	err = w.cfg.Sink.Deliver(ctx, sink.Record{Line: out, Meta: meta})
	w.m.sinkSecs.Observe(time.Since(start).Seconds())
	if err != nil {
		if !claim.IsZero() {
			// Free the key so the vendor's retry is delivered, even if
			// the client has gone away meanwhile (so not the request's
			// context; see Commit below).
			if rerr := w.cfg.Dedup.Release(context.Background(), key, claim); rerr != nil {
				w.m.dedupErrs.Inc()
			}
		}
		if pe := (*sink.PermanentError)(nil); errors.As(err, &pe) {
			// No retry can deliver it: tell the vendor so, and keep the
			// body for a replay once the cause is fixed.
			w.fail(rw, r, pe.Status, &decoder.Error{Code: pe.Code, Dialect: vendor, Offset: -1, Detail: pe.Error()}, body, true)
			return
		}
		w.log.Error("sink failed", "err", err, "dedup_key", string(key))
		rw.Header()["Retry-After"] = retryAfter
		w.fail(rw, r, http.StatusServiceUnavailable, &decoder.Error{Code: codeUnavailable, Dialect: vendor, Offset: -1, Detail: "sink unavailable"}, nil, false)
		return
	}
	if !claim.IsZero() {
		// Not the request's context: a client that hangs up now must not
		// cancel the commit of an event already accepted. Background
		// rather than context.WithoutCancel(ctx), which allocates on every
		// new event; nothing below reads context values.
		if err := w.cfg.Dedup.Commit(context.Background(), key); err != nil {
			// Delivered anyway: a replay may be delivered twice, which
			// downstream can drop by dedup key.
			w.m.dedupErrs.Inc()
			w.log.Warn("dedup commit failed", "err", err, "dedup_key", string(key))
		}
	}
	writeOK(rw)
}

func writeOK(rw http.ResponseWriter) {
	rw.Header()["Content-Type"] = ctJSON
	rw.Write(okBody)
}

var errTooLarge = errors.New("body too large")

// readBody reads the whole body into buf, refusing more than MaxBody.
func (w *Worker) readBody(r *http.Request, buf []byte) ([]byte, error) {
	max := w.cfg.MaxBody
	if r.ContentLength > max {
		return buf, errTooLarge
	}
	if r.ContentLength >= 0 {
		n := int(r.ContentLength)
		if cap(buf) < n {
			buf = make([]byte, 0, n)
		}
		buf = buf[:n]
		_, err := io.ReadFull(r.Body, buf)
		return buf, err
	}
	// Chunked: read up to max+1 to detect an overflow.
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// fail answers with the error JSON and, when keep is set, dead-letters body.
func (w *Worker) fail(rw http.ResponseWriter, r *http.Request, status int, e *decoder.Error, body []byte, keep bool) {
	w.m.reject(e.Code)
	js := e.AppendJSON(nil)
	if keep {
		if !w.dl.add(time.Now(), redact(r.URL.Path), r.RemoteAddr, status, js, body) {
			w.m.dlDropped.Inc()
		}
	}
	if status >= 500 {
		w.log.Error("callback failed", "status", status, "code", string(e.Code), "route", redact(r.URL.Path), "remote", r.RemoteAddr, "err", e.Error())
	} else {
		w.log.Warn("callback rejected", "status", status, "code", string(e.Code), "route", redact(r.URL.Path), "remote", r.RemoteAddr, "err", e.Error())
	}
	h := rw.Header()
	h["Content-Type"] = ctJSON
	if status == http.StatusRequestEntityTooLarge {
		// The rest of the body is not read: close rather than drain it.
		h["Connection"] = connClose
	}
	rw.WriteHeader(status)
	rw.Write(append(js, '\n'))
}

// redact replaces the secret segment of /hook/{secret}/{vendor} (or of
// /hook/{secret}) by "_" for logs and the dead-letter file — also on routes
// that turned out invalid, which still may carry a real secret.
func redact(path string) string {
	rest, ok := strings.CutPrefix(path, "/hook/")
	if !ok || rest == "" {
		return path
	}
	first, tail, two := strings.Cut(rest, "/")
	if !two {
		if _, isVendor := decoder.ParseDialect(first); isVendor {
			return path
		}
		return "/hook/_"
	}
	return "/hook/_/" + tail
}

// account returns the raw (JSON-escaped) value of the event's top-level
// "account" in its canonical JSON, without parsing it again. The canonical
// field order puts "account" before any nested object or free text, and a
// `"account":"` sequence cannot occur inside a JSON string (its quotes would
// be escaped), so the first occurrence is the top-level field.
func account(js []byte) []byte {
	const field = `"account":"`
	i := bytes.Index(js, []byte(field))
	if i < 0 {
		return nil
	}
	v := js[i+len(field):]
	for j := 0; j < len(v); j++ {
		switch v[j] {
		case '\\':
			j++
		case '"':
			return v[:j]
		}
	}
	return nil
}
