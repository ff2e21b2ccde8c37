// Package metrics defines the server's Prometheus metrics, on a registry
// each server owns, and records them for the interceptor chain, the REST
// gateway, the authenticator, the inference engine, the listeners and the
// store through methods that match those packages' observer interfaces.
// docs/operations.md lists every series.
//
// No label carries a user, app or key id, nor a raw path: methods are
// those the server declares (others count as "other"), routes are path
// templates, codes and outcomes come from closed sets.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Other is the label value of a method, route or HTTP method outside the
// known sets.
const Other = "other"

// Buckets of the latency histograms, in seconds: calls answered from
// memory take well under a millisecond, predictions up to seconds.
var (
	callBuckets    = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	predictBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
)

// Config says what the metrics cover.
type Config struct {
	// Methods lists the full gRPC method names ("/clarifai.api.V2/GetApp")
	// counted under their own name; calls of any other method count under
	// Other, so that clients cannot grow the label set.
	Methods []string
	// The gauges, read at each scrape; nil ones are left out.
	TokenCacheSize func() int // verified tokens held by the authenticator
	QueueDepth     func() int // inputs waiting for an inference worker
	ConnsOpen      func() int // connections open on the API ports
}

// Metrics holds the server's metrics. Its methods are safe for concurrent
// use; those that record an event cost a few atomic operations once the
// label values have been seen, and allocate nothing.
type Metrics struct {
	reg *prometheus.Registry

	rpcs     map[string]*rpcMethod // read-only after New
	otherRPC *rpcMethod
	rpcTotal *prometheus.CounterVec

	httpTotal *prometheus.CounterVec
	httpDur   *prometheus.HistogramVec
	https     cache[httpKey, httpSeries]

	authn       *prometheus.CounterVec
	authnBy     cache[[2]string, prometheus.Counter]
	cacheHits   prometheus.Counter
	cacheMisses prometheus.Counter

	predictions *prometheus.CounterVec
	predictDur  *prometheus.HistogramVec
	models      cache[string, *modelSeries]

	storeErrors *prometheus.CounterVec
	connRefused *prometheus.CounterVec
	refusals    *prometheus.CounterVec
}

// New returns the metrics, registered on a new registry with the Go
// runtime and process collectors.
func New(cfg Config) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg, rpcs: map[string]*rpcMethod{}}
	f := factory{reg}

	m.rpcTotal = f.counters("clavis_rpc_requests_total",
		"Calls of gRPC methods, over gRPC or relayed from REST, by method, code (in-band Clarifai status code; gRPC status code for health, reflection and undeclared methods) and transport (grpc or rest).",
		"method", "code", "transport")
	rpcDur := f.histograms("clavis_rpc_duration_seconds", "Time to answer a call of a gRPC method, by method.", callBuckets, "method")
	for _, name := range append(cfg.Methods, Other) {
		if _, dup := m.rpcs[name]; !dup {
			m.rpcs[name] = &rpcMethod{name: name, dur: rpcDur.WithLabelValues(name), total: m.rpcTotal}
		}
	}
	m.otherRPC = m.rpcs[Other]

	m.httpTotal = f.counters("clavis_http_requests_total",
		"REST requests by HTTP method, route (the path template, or other) and status class (2xx, 4xx, …).",
		"method", "route", "status")
	m.httpDur = f.histograms("clavis_http_request_duration_seconds", "Time to answer a REST request, by route.", callBuckets, "route")

	m.authn = f.counters("clavis_authentications_total",
		"Credential checks by outcome (ok, no_credentials, invalid, error) and, for invalid ones, reason (malformed, unknown, expired, disabled).",
		"outcome", "reason")
	cache := f.counters("clavis_token_cache_lookups_total", "Lookups of verified tokens in the authenticator's cache, by result (hit, miss).", "result")
	m.cacheHits, m.cacheMisses = cache.WithLabelValues("hit"), cache.WithLabelValues("miss")

	m.predictions = f.counters("clavis_predictions_total",
		"Inputs predicted, by model and outcome (ok, or the error's kind: input_invalid, busy, predict_failed, …).", "model", "outcome")
	m.predictDur = f.histograms("clavis_prediction_duration_seconds", "Time a model took to predict one input, by model.", predictBuckets, "model")

	m.storeErrors = f.counters("clavis_store_errors_total", "Failures of the database (internal errors of the store), by aggregate.", "aggregate")
	m.connRefused = f.counters("clavis_connections_refused_total",
		"Connections closed at once, by reason (cap_total, cap_per_addr, tls_handshake).", "reason")
	m.refusals = f.counters("clavis_http_refusals_total",
		"Requests the HTTP server refused before any handler ran (malformed, headers too large, plain HTTP on the TLS port), by HTTP status.", "status")

	for name, fn := range map[string]struct {
		help string
		get  func() int
	}{
		"clavis_token_cache_entries":   {"Verified tokens held in the authenticator's cache.", cfg.TokenCacheSize},
		"clavis_inference_queue_depth": {"Inputs waiting for an inference worker.", cfg.QueueDepth},
		"clavis_connections_open":      {"Connections open on the API ports, counting those whose protocol is not known yet.", cfg.ConnsOpen},
	} {
		if fn.get != nil {
			get := fn.get
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: fn.help}, func() float64 { return float64(get()) }))
		}
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler returns the handler of GET /metrics, in Prometheus's text
// format (or OpenMetrics, when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// Registry returns the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// factory makes metrics registered on one registry.
type factory struct{ reg *prometheus.Registry }

func (f factory) counters(name, help string, labels ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(v)
	return v
}

func (f factory) histograms(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(v)
	return v
}

// rpcMethod holds the series of one gRPC method.
type rpcMethod struct {
	name  string
	dur   prometheus.Observer
	total *prometheus.CounterVec
	codes cache[codeKey, prometheus.Counter]
}

type codeKey struct {
	code    int
	relayed bool
}

func (r *rpcMethod) counter(code int, relayed bool) prometheus.Counter {
	return r.codes.get(codeKey{code, relayed}, func() prometheus.Counter {
		transport := "grpc"
		if relayed {
			transport = "rest"
		}
		return r.total.WithLabelValues(r.name, strconv.Itoa(code), transport)
	})
}

type httpKey struct {
	method, route string
	class         int
}

type httpSeries struct {
	total prometheus.Counter
	dur   prometheus.Observer
}

type modelSeries struct {
	dur prometheus.Observer
	// outcomes by clavis.Code, "" for ok.
	outcomes cache[string, prometheus.Counter]
}

// seconds converts a duration for Observe.
func seconds(d time.Duration) float64 { return d.Seconds() }
