package metrics

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clavis-dev/clavis/clavis"
)

// ObserveCall records a call of a gRPC method (grpcapi.Metrics).
func (m *Metrics) ObserveCall(method string, code int, relayed bool, took time.Duration) {
	r := m.rpcs[method]
	if r == nil {
		r = m.otherRPC
	}
	r.dur.Observe(seconds(took))
	r.counter(code, relayed).Inc()
}

// httpMethods are the HTTP methods counted under their own name.
var httpMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// ObserveHTTP records a REST request: its HTTP method, the path template of
// its route ("" for none) and its HTTP status. The gateway calls it.
func (m *Metrics) ObserveHTTP(method, route string, status int, took time.Duration) {
	if !httpMethods[method] {
		method = Other
	}
	if route == "" {
		route = Other
	}
	s := m.https.get(httpKey{method, route, status / 100}, func() httpSeries {
		return httpSeries{
			total: m.httpTotal.WithLabelValues(method, route, strconv.Itoa(status/100)+"xx"),
			dur:   m.httpDur.WithLabelValues(route),
		}
	})
	s.total.Inc()
	s.dur.Observe(seconds(took))
}

// ObserveAuthn records the outcome of a credential check, with the reason
// of an invalid one (auth.Observer).
func (m *Metrics) ObserveAuthn(outcome, reason string) {
	m.authnBy.get([2]string{outcome, reason}, func() prometheus.Counter {
		return m.authn.WithLabelValues(outcome, reason)
	}).Inc()
}

// ObserveTokenCache records a lookup in the authenticator's token cache
// (auth.Observer).
func (m *Metrics) ObserveTokenCache(hit bool) {
	if hit {
		m.cacheHits.Inc()
	} else {
		m.cacheMisses.Inc()
	}
}

// ObservePrediction records the prediction of one input by a model: the
// time the model ran (0 when it did not) and the error, nil on success
// (inference.Observer).
func (m *Metrics) ObservePrediction(model string, took time.Duration, err error) {
	s := m.models.get(model, func() *modelSeries { return &modelSeries{dur: m.predictDur.WithLabelValues(model)} })
	if took > 0 {
		s.dur.Observe(seconds(took))
	}
	outcome := "ok"
	if err != nil {
		outcome = string(clavis.ErrorCode(err))
	}
	s.outcomes.get(outcome, func() prometheus.Counter { return m.predictions.WithLabelValues(model, outcome) }).Inc()
}

// ObserveStoreError records a failure of the database behind an aggregate
// store (users, apps, keys, …).
func (m *Metrics) ObserveStoreError(aggregate string) { m.storeErrors.WithLabelValues(aggregate).Inc() }

// ObserveConnRefused records a connection closed at once, and why
// (listen.Observer).
func (m *Metrics) ObserveConnRefused(reason string) { m.connRefused.WithLabelValues(reason).Inc() }

// ObserveRefusal records a request the HTTP server refused before any
// handler ran, with its HTTP status (listen.Observer).
func (m *Metrics) ObserveRefusal(status int) { m.refusals.WithLabelValues(strconv.Itoa(status)).Inc() }

// cache maps label values to their series, so that recording an event
// seen before takes one lock-free map read: WithLabelValues hashes its
// values and takes a lock each time. Maps are replaced, never changed, and
// stay small: their keys come from closed sets.
type cache[K comparable, V any] struct {
	m  atomic.Pointer[map[K]V]
	mu sync.Mutex
}

// get returns the value of k, made by newV the first time.
func (c *cache[K, V]) get(k K, newV func() V) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
	}
	next := make(map[K]V, 1)
	if old != nil {
		for ok, ov := range *old {
			next[ok] = ov
		}
	}
	v := newV()
	next[k] = v
	c.m.Store(&next)
	return v
}
