package worker

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"slices"
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

// ServeHTTP routes /hook…, /healthz, /readyz and /metrics (/metrics only
// without Config.SeparateAdmin: then AdminHandler serves it).
func (w *Worker) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/hook" || strings.HasPrefix(path, "/hook/"):
		w.hook(rw, r, strings.TrimPrefix(strings.TrimPrefix(path, "/hook"), "/"))
	case path == "/healthz":
		rw.Header()["Content-Type"] = ctText
		io.WriteString(rw, "ok\n")
	case path == "/readyz":
		// Anyone who reaches --addr may ask: the answer names the failing
		// parts, never their errors (addresses, file names); those go to
		// the log and to the admin address.
		w.readyz(rw, r, false)
	case path == "/metrics" && !w.cfg.SeparateAdmin:
		w.metricsH.ServeHTTP(rw, r)
	case path == "/metrics":
		w.fail(rw, r, http.StatusNotFound, &decoder.Error{Code: codeNotFound, Offset: -1, Detail: "/metrics is served on the admin address (--admin-addr)"}, nil, false)
	default:
		w.fail(rw, r, http.StatusNotFound, &decoder.Error{Code: codeNotFound, Offset: -1, Detail: routesDetail}, nil, false)
	}
}

// AdminHandler serves GET /metrics, /readyz (with the failing parts'
// errors) and /healthz, for an address that only operators reach
// (wxhook serve --admin-addr, loopback by default).
func (w *Worker) AdminHandler() http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			w.metricsH.ServeHTTP(rw, r)
		case "/readyz":
			w.readyz(rw, r, true)
		case "/healthz":
			rw.Header()["Content-Type"] = ctText
			io.WriteString(rw, "ok\n")
		default:
			http.Error(rw, "404 not found: /metrics, /readyz, /healthz", http.StatusNotFound)
		}
	})
}

// readyz answers 200 or 503 with {"engine":…,"dedup":…,"sink":…}: "ok" or,
// for a failing part, its error when detailed and "failing" otherwise.
func (w *Worker) readyz(rw http.ResponseWriter, r *http.Request, detailed bool) {
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
		switch {
		case err == nil:
			b = append(b, `"ok"`...)
		case detailed:
			status = http.StatusServiceUnavailable
			b = appendJSONString(b, err.Error())
		default:
			status = http.StatusServiceUnavailable
			b = append(b, `"failing"`...)
		}
	}
	b = append(b, "}\n"...)
	rw.Header()["Content-Type"] = ctJSON
	rw.WriteHeader(status)
	rw.Write(b)
}

// vendors are the names a route may carry: every dialect the decoder
// names, so a new one is routable without a change here. Dialects are
// numbered from Auto (0) on, and String gives "auto" past the last one.
var vendors = func() []string {
	var v []string
	for d := decoder.Auto + 1; d != decoder.Auto && d.String() != "auto"; d++ {
		if p, ok := decoder.ParseDialect(d.String()); ok && p == d {
			v = append(v, d.String())
		}
	}
	return v
}()

// VendorNames returns the vendor names of the routes /hook/{vendor}, in
// the decoder's order ("auto", detection, is not one of them).
func VendorNames() []string { return append([]string(nil), vendors...) }

// isVendor reports whether s is a route's vendor segment: a vendor name or
// "auto", spelled exactly (lower case).
func isVendor(s string) bool {
	if s == "" {
		return false
	}
	_, ok := decoder.ParseDialect(s)
	return ok
}

// CheckSecret refuses a callback secret that a route could not tell from a
// vendor: /hook/{x} is the vendor x when x names one, so such a secret could
// only be sent in the header, and a typo of it would look like a vendor.
func CheckSecret(secret string) error {
	if secret == "" {
		return nil
	}
	if _, ok := decoder.ParseDialect(strings.ToLower(secret)); ok {
		// Not echoed: start-up errors end up in logs.
		return errors.New("the secret is a vendor name (" + strings.Join(vendors, ", ") + " or auto, in any case): choose another one")
	}
	return nil
}

var routesDetail = "routes: POST /hook, /hook/{vendor}, /hook/{secret}, /hook/{secret}/{vendor}; vendor: " +
	strings.Join(vendors, ", ") + " or auto (lower case)"

// route splits what follows /hook/ by the route grammar (worker/README.md):
//
//	""                 auto-detect, secret in the header
//	"{vendor}"         a vendor name or "auto", secret in the header
//	"{secret}"         exactly the configured secret, auto-detect
//	"{secret}/{vendor}"
//
// A vendor segment is always last and a vendor name is never a secret
// (CheckSecret), so a segment is a secret or a vendor, never both. A
// single segment that is neither (a mistyped vendor, /hook/WECOM, or a
// wrong secret: the two cannot be told apart) is not a route: 404 naming
// the vendors, never a secret taken from a typo.
func (w *Worker) route(rest string) (d decoder.Dialect, secret string, ok bool) {
	if rest == "" {
		return decoder.Auto, "", true
	}
	first, second, two := strings.Cut(rest, "/")
	if !two {
		if d, ok := decoder.ParseDialect(first); ok && first != "" {
			return d, "", true
		}
		if w.cfg.Secret != "" && w.secretIs(first) {
			return decoder.Auto, first, true
		}
		return decoder.Auto, "", false
	}
	if first == "" || isVendor(first) || !isVendor(second) || strings.Contains(second, "/") {
		return decoder.Auto, "", false
	}
	d, _ = decoder.ParseDialect(second)
	return d, first, true
}

// secretIs compares given with the secret in constant time: fixed-size
// digests keep it constant-time in the secret's length too.
func (w *Worker) secretIs(given string) bool {
	h := sha256.Sum256([]byte(given))
	return subtle.ConstantTimeCompare(h[:], w.secret[:]) == 1
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
	if !w.secretIs(given) {
		return false, codeForbidden
	}
	return true, ""
}

func (w *Worker) hook(rw http.ResponseWriter, r *http.Request, rest string) {
	dialect, secret, ok := w.route(rest)
	if !ok {
		w.fail(rw, r, http.StatusNotFound, &decoder.Error{Code: codeNotFound, Offset: -1, Detail: "not a vendor (or the secret); " + routesDetail}, nil, false)
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

	var held int64 // of the in-flight body budget, given back when done
	defer func() {
		if held > 0 {
			w.inflight.Add(-held)
		}
	}()
	body, err := w.readBody(r, rb.body[:0], &held)
	rb.body = body[:0]
	if err != nil {
		if errors.Is(err, errOverloaded) {
			// The body is not (fully) read: close the connection rather
			// than drain it, which would take the memory refused.
			rw.Header()["Retry-After"] = retryAfter
			rw.Header()["Connection"] = connClose
			w.fail(rw, r, http.StatusServiceUnavailable, &decoder.Error{Code: codeOverloaded, Dialect: dialect, Offset: -1, Detail: "too many callback bytes in flight; retry"}, nil, false)
		} else if errors.Is(err, errTooLarge) {
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
		if _, ok := w.allow[string(meta.Account)]; !ok {
			w.fail(rw, r, http.StatusForbidden, &decoder.Error{Code: codeNotAllowed, Dialect: vendor, Field: "account", Offset: -1, Detail: string(meta.Account)}, body, true)
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
		w.sinkFail.Store(&sinkFailure{at: time.Now(), err: err})
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
	if w.sinkFail.Load() != nil {
		w.sinkFail.Store(nil) // the sink works again (a load first: no shared write per event)
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

var (
	errTooLarge   = errors.New("body too large")
	errOverloaded = errors.New("in-flight body budget exhausted")
)

// readStep is how much of the in-flight budget a chunked body takes at a
// time, as it grows.
const readStep = 64 << 10

// take reserves n bytes of the in-flight body budget (Config.MaxInflightBytes).
func (w *Worker) take(n int64, held *int64) bool {
	if w.inflight.Add(n) > w.cfg.MaxInflightBytes {
		w.inflight.Add(-n)
		return false
	}
	*held += n
	return true
}

// readBody reads the whole body into buf, refusing more than MaxBody, and
// holds the bytes it reads in the in-flight budget (*held, given back by
// the caller).
func (w *Worker) readBody(r *http.Request, buf []byte, held *int64) ([]byte, error) {
	max := w.cfg.MaxBody
	if r.ContentLength > max {
		return buf, errTooLarge
	}
	if r.ContentLength >= 0 {
		n := int(r.ContentLength)
		if !w.take(int64(n), held) {
			return buf, errOverloaded
		}
		if cap(buf) < n {
			buf = make([]byte, 0, n)
		}
		buf = buf[:n]
		_, err := io.ReadFull(r.Body, buf)
		return buf, err
	}
	// Chunked: read up to max+1 to detect an overflow, taking the budget
	// as the body grows.
	for {
		if int64(len(buf)) >= *held {
			if !w.take(min(readStep, max+1-*held), held) {
				return buf, errOverloaded
			}
		}
		if cap(buf) < int(*held) {
			buf = slices.Grow(buf, int(*held)-len(buf))
		}
		n, err := r.Body.Read(buf[len(buf):*held])
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
	switch {
	case status >= 500:
		w.log.Error("callback failed", "status", status, "code", string(e.Code), "route", redact(r.URL.Path), "remote", r.RemoteAddr, "err", e.Error())
	case status == http.StatusNotFound && !isHookPath(r.URL.Path):
		// Scanners and favicon requests, not callbacks.
		w.log.Debug("no such path", "path", redact(r.URL.Path), "remote", r.RemoteAddr)
	default:
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

// redact replaces every segment of path that could be a secret by "_",
// for logs and the dead-letter file: all but the route words and the vendor
// names. A mistyped route (/hook/eyun/SECRET, /hooks/SECRET/eyun,
// /Hook/SECRET) may still carry a real secret.
func redact(path string) string {
	clean := true
	for seg := range strings.SplitSeq(path, "/") {
		if !publicSegment(seg) {
			clean = false
			break
		}
	}
	if clean {
		return path // no allocation for the routes served
	}
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if !publicSegment(seg) {
			segs[i] = "_"
		}
	}
	return strings.Join(segs, "/")
}

func publicSegment(s string) bool {
	switch s {
	case "", "hook", "healthz", "readyz", "metrics":
		return true
	}
	return isVendor(s)
}

func isHookPath(p string) bool { return p == "/hook" || strings.HasPrefix(p, "/hook/") }
