package worker

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/worker/sink"
)

// Reject codes of the worker itself, next to the decoder's codes. They are
// the "code" of the error JSON the worker answers with and of the
// wxhook_rejects_total metric.
const (
	codeUnauthorized decoder.Code = "unauthorized"        // no secret given (401)
	codeForbidden    decoder.Code = "forbidden"           // wrong secret (403)
	codeNotAllowed   decoder.Code = "account_not_allowed" // --allow-account (403)
	codeInFlight     decoder.Code = "in_flight"           // same key being delivered (409)
	codeUnavailable  decoder.Code = "unavailable"         // sink or dedup store failed (503)
	codeMethod       decoder.Code = "method_not_allowed"  // not POST (405)
	codeNotFound     decoder.Code = "not_found"           // unknown route (404)
	codeReadFailed   decoder.Code = "read_failed"         // body read error/timeout (400)
	codeOverloaded   decoder.Code = "overloaded"          // in-flight body budget exhausted (503)
)

// allCodes are the decoder's codes and the worker's own.
var allCodes = append(decoder.Codes(), codeUnauthorized, codeForbidden, codeNotAllowed, codeInFlight,
	codeUnavailable, codeMethod, codeNotFound, codeReadFailed, sink.CodeTooLarge, codeOverloaded)

// metrics holds every series pre-resolved, so the request path does no
// label lookup (WithLabelValues hashes and may allocate).
type metrics struct {
	reg        *prometheus.Registry
	received   []prometheus.Counter   // by route dialect
	decoded    [][]prometheus.Counter // by vendor, then kind
	duplicates []prometheus.Counter   // by vendor
	rejects    map[decoder.Code]prometheus.Counter
	dedupErrs  prometheus.Counter
	dlDropped  prometheus.Counter
	sinkSecs   prometheus.Observer
	forwardSec prometheus.Observer
}

func newMetrics(reg *prometheus.Registry, sinkName string, backlog func() float64) *metrics {
	m := &metrics{reg: reg, rejects: make(map[decoder.Code]prometheus.Counter)}
	received := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wxhook_received_total", Help: "Callbacks received on /hook, by route vendor (auto for /hook).",
	}, []string{"route"})
	decoded := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wxhook_decoded_total", Help: "Callbacks decoded, by vendor and kind.",
	}, []string{"vendor", "kind"})
	dups := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wxhook_duplicates_total", Help: "Callbacks whose event was already accepted (answered 200, not delivered again).",
	}, []string{"vendor"})
	rejects := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wxhook_rejects_total", Help: "Callbacks not accepted, by error code.",
	}, []string{"code"})
	m.dedupErrs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wxhook_dedup_errors_total", Help: "Dedup store failures (a failed reserve refuses the callback with 503; a failed commit is retried).",
	})
	m.dlDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wxhook_dead_letter_dropped_total", Help: "Rejected bodies not kept because the dead-letter file is at its size cap or failed.",
	})
	sinkHist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "wxhook_sink_seconds", Help: "Time for the sink to durably accept an event.",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"sink"})
	fwdHist := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "wxhook_forward_seconds", Help: "Latency of successful POSTs to the downstream (forward sink).",
		Buckets: prometheus.DefBuckets,
	})
	reg.MustRegister(received, decoded, dups, rejects, m.dedupErrs, m.dlDropped, sinkHist, fwdHist)
	if backlog != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wxhook_spool_backlog", Help: "Events accepted into the spool and not yet forwarded.",
		}, backlog))
	}
	// Tables indexed by decoder.Dialect and decoder.Kind, sized by the
	// decoder's own lists so that a new dialect or kind needs no change here.
	dialects, kinds := decoder.Dialects(), decoder.Kinds()
	m.received = make([]prometheus.Counter, len(dialects))
	m.duplicates = make([]prometheus.Counter, len(dialects))
	m.decoded = make([][]prometheus.Counter, len(dialects))
	for _, d := range dialects {
		m.received[d] = received.WithLabelValues(d.String())
		m.decoded[d] = make([]prometheus.Counter, len(kinds))
		if d == decoder.Auto {
			// A decoded event always has its vendor: no vendor="auto"
			// series. The counters exist (unexported) only so that the
			// request path needs no check.
			m.duplicates[d] = prometheus.NewCounter(prometheus.CounterOpts{Name: "unexported"})
			for k := range m.decoded[d] {
				m.decoded[d][k] = m.duplicates[d]
			}
			continue
		}
		m.duplicates[d] = dups.WithLabelValues(d.String())
		for _, k := range kinds {
			// Resolving every series up front exports zeros for all
			// vendor/kind pairs (simpler rate() queries) and keeps the
			// label lookup off the request path.
			m.decoded[d][k] = decoded.WithLabelValues(d.String(), k.String())
		}
	}
	for _, c := range allCodes {
		m.rejects[c] = rejects.WithLabelValues(string(c))
	}
	m.sinkSecs = sinkHist.WithLabelValues(sinkName)
	m.forwardSec = fwdHist
	return m
}

// countDecoded counts a decoded event by vendor and kind, and returns the
// vendor it was counted under: an engine newer than this build may name a
// vendor or a kind it has no series for, counted as auto or unknown.
func (m *metrics) countDecoded(vendor decoder.Dialect, kind decoder.Kind) decoder.Dialect {
	if int(vendor) >= len(m.decoded) {
		vendor = decoder.Auto
	}
	if int(kind) >= len(m.decoded[vendor]) {
		kind = decoder.KindUnknown
	}
	m.decoded[vendor][kind].Inc()
	return vendor
}

// countRejected counts a refused request by its error code; a code with no
// series (none should reach here) is counted as internal.
func (m *metrics) countRejected(c decoder.Code) {
	if ctr, ok := m.rejects[c]; ok {
		ctr.Inc()
		return
	}
	m.rejects[decoder.CodeInternal].Inc()
}

// registerProcess adds the standard Go and process collectors.
func registerProcess(reg *prometheus.Registry) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}
