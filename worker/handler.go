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
	ctJSON       = []string{"application/json"}
	ctText       = []string{"text/plain; charset=utf-8"}
	retryAfter   = []string{"1"}
	connClose    = []string{"close"}
	duplicateYes = []string{"1"} // X-Wxhook-Duplicate
	okBody       = []byte("{}")
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
		w.refuse(rw, r, http.StatusNotFound, requestError(codeNotFound, decoder.Auto, "/metrics is served on the admin address (--admin-addr)"))
	default:
		w.refuse(rw, r, http.StatusNotFound, requestError(codeNotFound, decoder.Auto, routesDetail))
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

// isVendorSegment reports whether s is a route's vendor segment: a vendor
// name or "auto" (which is no vendor: detection), spelled exactly (lower
// case).
func isVendorSegment(s string) bool {
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
	if first == "" || isVendorSegment(first) || !isVendorSegment(second) || strings.Contains(second, "/") {
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

// authorized reports whether the request carries the callback secret, in
// its path or else in the X-Wxhook-Secret header. When it does not, status
// and code are the refusal: 401 when no secret was given, 403 when a wrong
// one was (told apart so that a missing header is easy to spot).
func (w *Worker) authorized(r *http.Request, pathSecret string) (ok bool, status int, code decoder.Code) {
	if w.cfg.Insecure {
		return true, 0, ""
	}
	given := pathSecret
	if given == "" {
		given = r.Header.Get("X-Wxhook-Secret")
	}
	if given == "" {
		return false, http.StatusUnauthorized, codeUnauthorized
	}
	if !w.secretIs(given) {
		return false, http.StatusForbidden, codeForbidden
	}
	return true, 0, ""
}

// hook serves one callback. It only sequences the steps, so that the order
// in which a bad request meets the checks reads top to bottom: admit (route,
// method, secret), readCallback (the body, within the size limit and the
// in-flight budget), decode (decodeRefusal maps a failure to its answer), the
// account filter, and deliverOnce (reserve → deliver → commit or release).
// A step that refuses the request answers it itself and reports false.
func (w *Worker) hook(rw http.ResponseWriter, r *http.Request, rest string) {
	dialect, ok := w.admit(rw, r, rest)
	if !ok {
		return
	}

	rb := w.getReqBuf()
	defer w.putReqBuf(rb)
	var held int64 // of the in-flight body budget, given back when done
	defer w.giveBackBudget(&held)
	body, ok := w.readCallback(rw, r, rb, dialect, &held)
	if !ok {
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
		status, e, keepBody := decodeRefusal(err, dialect)
		if keepBody {
			w.refuseAndKeep(rw, r, status, e, body)
		} else {
			w.refuse(rw, r, status, e)
		}
		return
	}
	out = append(out, '\n')
	rb.out = out[:0]
	vendor := w.m.countDecoded(meta.Vendor, meta.Kind)

	if !w.accountAllowed(meta.Account) {
		e := requestError(codeNotAllowed, vendor, string(meta.Account))
		e.Field = "account"
		w.refuseAndKeep(rw, r, http.StatusForbidden, e, body)
		return
	}

	w.deliverOnce(ctx, rw, r, vendor, sink.Record{Line: out, Meta: meta}, body)
}

// admit checks all that can be checked before the body is read (the route,
// the method, the secret), so that a request that is no callback costs no
// read and no in-flight budget. It returns the route's dialect, or answers
// the request and reports false. Every routed request is counted in
// wxhook_received_total, admitted or not.
func (w *Worker) admit(rw http.ResponseWriter, r *http.Request, rest string) (decoder.Dialect, bool) {
	dialect, secret, ok := w.route(rest)
	if !ok {
		w.refuse(rw, r, http.StatusNotFound, requestError(codeNotFound, decoder.Auto, "not a vendor (or the secret); "+routesDetail))
		return decoder.Auto, false
	}
	w.m.received[dialect].Inc()
	if r.Method != http.MethodPost {
		rw.Header()["Allow"] = []string{http.MethodPost}
		w.refuse(rw, r, http.StatusMethodNotAllowed, requestError(codeMethod, dialect, ""))
		return dialect, false
	}
	if ok, status, code := w.authorized(r, secret); !ok {
		w.refuse(rw, r, status, requestError(code, dialect, ""))
		return dialect, false
	}
	return dialect, true
}

// getReqBuf takes a request's buffers from the pool, so that a request in
// the steady state allocates none.
func (w *Worker) getReqBuf() *reqBuf {
	rb, _ := w.bufs.Get().(*reqBuf)
	if rb == nil {
		rb = &reqBuf{body: make([]byte, 0, 8192), out: make([]byte, 0, 8192)}
	}
	return rb
}

// putReqBuf gives rb back to the pool, unless a huge body grew it: pooled,
// it would hold that memory for good.
func (w *Worker) putReqBuf(rb *reqBuf) {
	if cap(rb.body) <= maxPooled && cap(rb.out) <= maxPooled {
		w.bufs.Put(rb)
	}
}

// giveBackBudget returns the *held bytes of the in-flight body budget that
// a request took (takeBudget) while reading its body.
func (w *Worker) giveBackBudget(held *int64) {
	if *held > 0 {
		w.inflight.Add(-*held)
	}
}

// readCallback reads the body into rb.body (readBody: the size limit and
// the in-flight budget, *held). A body that cannot be read whole is refused
// and not dead-lettered: there is no whole body to keep.
func (w *Worker) readCallback(rw http.ResponseWriter, r *http.Request, rb *reqBuf, dialect decoder.Dialect, held *int64) ([]byte, bool) {
	body, err := w.readBody(r, rb.body[:0], held)
	rb.body = body[:0]
	switch {
	case err == nil:
		return body, true
	case errors.Is(err, errOverloaded):
		// The body is not (fully) read: close the connection rather
		// than drain it, which would take the memory refused.
		rw.Header()["Retry-After"] = retryAfter
		rw.Header()["Connection"] = connClose
		w.refuse(rw, r, http.StatusServiceUnavailable, requestError(codeOverloaded, dialect, "too many callback bytes in flight; retry"))
	case errors.Is(err, errTooLarge):
		w.refuse(rw, r, http.StatusRequestEntityTooLarge, requestError(decoder.CodeTooLarge, dialect, "body exceeds the size limit"))
	default:
		w.refuse(rw, r, http.StatusBadRequest, requestError(codeReadFailed, dialect, err.Error()))
	}
	return nil, false
}

// decodeRefusal maps a decode error to the answer and whether the body is
// dead-lettered. A body the decoder refuses gets 400 and is kept for a
// replay once the cause is fixed. One too large for the decoder (MaxBody
// above decoder.MaxInput) gets 413 and is not kept: no replay of it could
// ever succeed. An engine failure, not the body's fault, gets 500 so that
// the vendor retries, and the body is kept. An error that is no
// *decoder.Error is an engine failure.
func decodeRefusal(err error, dialect decoder.Dialect) (status int, e *decoder.Error, keepBody bool) {
	if !errors.As(err, &e) {
		e = requestError(decoder.CodeInternal, dialect, err.Error())
	}
	switch e.Code {
	case decoder.CodeTooLarge:
		return http.StatusRequestEntityTooLarge, e, false
	case decoder.CodeInternal:
		return http.StatusInternalServerError, e, true
	}
	return http.StatusBadRequest, e, true
}

// accountAllowed reports whether the event's account passes
// Config.AllowAccounts (every account does when it is empty).
func (w *Worker) accountAllowed(account []byte) bool {
	if w.allow == nil {
		return true
	}
	_, ok := w.allow[string(account)] // no allocation: the compiler looks up the bytes
	return ok
}

// deliverOnce delivers the event at most once per dedup key, and answers
// the request: reserve the key (reserveKey), deliver, then commit the key,
// or release it when the delivery failed so that the vendor's retry is
// delivered. An event without a key is delivered every time it comes.
func (w *Worker) deliverOnce(ctx context.Context, rw http.ResponseWriter, r *http.Request, vendor decoder.Dialect, rec sink.Record, body []byte) {
	key := rec.Meta.DedupKey
	claim, ok := w.reserveKey(ctx, rw, r, vendor, key)
	if !ok {
		return
	}
	done, err := w.deliver(ctx, rec)
	if err != nil {
		w.releaseKey(key, claim)
		w.refuseUndelivered(rw, r, vendor, key, err, body)
		return
	}
	w.commitKey(key, claim)
	writeOK(rw, done)
}

// reserveKey claims key for this request. The zero Claim and true mean the
// event has no key. When the event must not be delivered now it answers the
// request and reports false: a duplicate (200, it was delivered before),
// in flight (409, another request is delivering it), or a store failure.
func (w *Worker) reserveKey(ctx context.Context, rw http.ResponseWriter, r *http.Request, vendor decoder.Dialect, key []byte) (dedup.Claim, bool) {
	if len(key) == 0 {
		return dedup.Claim{}, true
	}
	st, claim, err := w.cfg.Dedup.Reserve(ctx, key)
	switch {
	case err != nil:
		// Fail closed: delivered now, the event's key could not be
		// recorded and a resend after the outage would be delivered
		// again. Refused, the vendor retries (README: "Redis down").
		w.m.dedupErrs.Inc()
		w.log.Warn("dedup store failed; refusing the callback so that the vendor retries", "err", err, "dedup_key", string(key))
		rw.Header()["Retry-After"] = retryAfter
		w.refuse(rw, r, http.StatusServiceUnavailable, requestError(codeUnavailable, vendor, "dedup store unavailable"))
		return dedup.Claim{}, false
	case st == dedup.Duplicate:
		w.m.duplicates[vendor].Inc()
		// Same answer as for a new event (the vendor must stop
		// retrying); the header tells a person or `wxhook replay`
		// that nothing was delivered this time.
		rw.Header()["X-Wxhook-Duplicate"] = duplicateYes
		writeOK(rw, monoNow())
		return dedup.Claim{}, false
	case st == dedup.InFlight:
		rw.Header()["Retry-After"] = retryAfter
		w.refuse(rw, r, http.StatusConflict, requestError(codeInFlight, vendor, "this event is being delivered; retry"))
		return dedup.Claim{}, false
	}
	return claim, true
}

// deliver hands rec to the sink, timing it, and keeps the sink's last
// failure for /readyz (sinkFailWindow) until a delivery succeeds. done is
// the monotonic clock (monoNow) when the sink returned, which the answer's
// Date reuses. The monotonic clock alone is read: time.Now would read the
// wall clock too, for nothing.
func (w *Worker) deliver(ctx context.Context, rec sink.Record) (done time.Duration, err error) {
	start := monoNow()
	err = w.cfg.Sink.Deliver(ctx, rec)
	done = monoNow()
	w.m.sinkSecs.Observe((done - start).Seconds())
	if err != nil {
		w.sinkFail.Store(&sinkFailure{at: time.Now(), err: err})
		return done, err
	}
	if w.sinkFail.Load() != nil {
		w.sinkFail.Store(nil) // the sink works again (a load first: no shared write per event)
	}
	return done, nil
}

// releaseKey frees a reserved key after a failed delivery so that the
// vendor's retry is delivered, even if the client has gone away meanwhile
// (so not the request's context; see commitKey).
func (w *Worker) releaseKey(key []byte, claim dedup.Claim) {
	if claim.IsZero() {
		return
	}
	if err := w.cfg.Dedup.Release(context.Background(), key, claim); err != nil {
		w.m.dedupErrs.Inc()
	}
}

// commitKey records a delivered event's key, so that a resend of it is a
// duplicate.
func (w *Worker) commitKey(key []byte, claim dedup.Claim) {
	if claim.IsZero() {
		return
	}
	// Not the request's context: a client that hangs up now must not
	// cancel the commit of an event already accepted. Background rather
	// than context.WithoutCancel(ctx), which allocates on every new
	// event; nothing below reads context values.
	if err := w.cfg.Dedup.Commit(context.Background(), key, claim); err != nil {
		// Delivered anyway: a replay may be delivered twice, which
		// downstream can drop by dedup key.
		w.m.dedupErrs.Inc()
		w.log.Warn("dedup commit failed", "err", err, "dedup_key", string(key))
	}
}

// refuseUndelivered answers a failed delivery. A sink.PermanentError means
// no retry can deliver the event: its status tells the vendor so, and the
// body is kept for a replay once the cause is fixed. Any other failure is
// 503 with Retry-After, so that the vendor retries.
func (w *Worker) refuseUndelivered(rw http.ResponseWriter, r *http.Request, vendor decoder.Dialect, key []byte, err error, body []byte) {
	if pe := (*sink.PermanentError)(nil); errors.As(err, &pe) {
		w.refuseAndKeep(rw, r, pe.Status, requestError(pe.Code, vendor, pe.Error()), body)
		return
	}
	w.log.Error("sink failed", "err", err, "dedup_key", string(key))
	rw.Header()["Retry-After"] = retryAfter
	w.refuse(rw, r, http.StatusServiceUnavailable, requestError(codeUnavailable, vendor, "sink unavailable"))
}

// writeOK answers 200 {}: the answer to every accepted callback, with the
// cached Date header (dateHeader) for mono, the monotonic clock now, not
// one formatted for each answer.
func writeOK(rw http.ResponseWriter, mono time.Duration) {
	h := rw.Header()
	h["Content-Type"] = ctJSON
	h["Date"] = dateHeader(mono)
	rw.Write(okBody)
}

var (
	errTooLarge   = errors.New("body too large")
	errOverloaded = errors.New("in-flight body budget exhausted")
)

// readStep is how much of the in-flight budget a chunked body takes at a
// time, as it grows.
const readStep = 64 << 10

// takeBudget takes n bytes of the in-flight body budget
// (Config.MaxInflightBytes) into *held, or reports false when they would
// exceed it.
func (w *Worker) takeBudget(n int64, held *int64) bool {
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
		if !w.takeBudget(int64(n), held) {
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
			if !w.takeBudget(min(readStep, max+1-*held), held) {
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

// requestError is the error the worker answers with when it refuses a
// request on its own account (route, secret, budget, dedup store, sink)
// rather than at a place in the body: it has no byte offset.
func requestError(code decoder.Code, d decoder.Dialect, detail string) *decoder.Error {
	return decoder.NewError(code, d, detail)
}

// refuse answers with the error JSON and keeps nothing: the request was no
// callback, its body was not read whole, or the vendor's retry brings the
// body again.
func (w *Worker) refuse(rw http.ResponseWriter, r *http.Request, status int, e *decoder.Error) {
	w.answerError(rw, r, status, e, e.AppendJSON(nil))
}

// refuseAndKeep answers with the error JSON and dead-letters body with that
// error, for `wxhook replay` once the cause is fixed: mostly the vendor will
// not send it again (a 4xx), and after an engine failure (500) its retries
// may run out.
func (w *Worker) refuseAndKeep(rw http.ResponseWriter, r *http.Request, status int, e *decoder.Error, body []byte) {
	js := e.AppendJSON(nil)
	if !w.dl.add(time.Now(), redact(r.URL.Path), r.RemoteAddr, status, js, body) {
		w.m.dlDropped.Inc()
	}
	w.answerError(rw, r, status, e, js)
}

// answerError counts and logs a refusal and writes js, e's JSON, as the
// answer.
func (w *Worker) answerError(rw http.ResponseWriter, r *http.Request, status int, e *decoder.Error, js []byte) {
	w.m.countRejected(e.Code)
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
	return isVendorSegment(s)
}

func isHookPath(p string) bool { return p == "/hook" || strings.HasPrefix(p, "/hook/") }
