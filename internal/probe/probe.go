// Package probe says whether a server is alive and ready to serve: it
// answers GET /healthz and GET /readyz, and keeps the status of the gRPC
// health service in step with readiness.
package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// DefaultTimeout bounds each check when Config.Timeout is zero.
const DefaultTimeout = 2 * time.Second

// A Check is one condition of readiness.
type Check struct {
	// Name names the part checked ("store", "models") in answers and logs.
	Name string
	// Run returns nil when the part is ready. Its error's text goes into
	// the answer of /readyz, which anyone may read: make it with Fail to
	// keep the cause for the log.
	Run func(ctx context.Context) error
}

// Fail returns an error whose text, public, says what is not ready, and
// whose cause (nil for none) goes only to the log.
func Fail(public string, cause error) error { return &failure{public, cause} }

type failure struct {
	public string
	cause  error
}

func (f *failure) Error() string { return f.public }
func (f *failure) Unwrap() error { return f.cause }

// Config configures a Checker.
type Config struct {
	Checks []Check
	// Timeout bounds each check; 0 means DefaultTimeout.
	Timeout time.Duration
	// GRPC, when set, is the gRPC health service whose status for
	// Services follows readiness: SERVING or NOT_SERVING.
	GRPC     *health.Server
	Services []string
	// Log receives a line when readiness changes; nil discards it.
	Log *slog.Logger
}

// A Checker runs the checks of readiness. It is safe for concurrent use.
type Checker struct {
	cfg Config

	mu    sync.Mutex
	ready *bool // nil before the first check
}

// New returns a Checker. The gRPC health service, if any, reports
// NOT_SERVING until the first check passes.
func New(cfg Config) *Checker {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c := &Checker{cfg: cfg}
	c.setGRPC(healthpb.HealthCheckResponse_NOT_SERVING)
	return c
}

// Report is the answer of /readyz.
type Report struct {
	// Status is "ready" or "not ready".
	Status string `json:"status"`
	// Checks holds, by check name, "ok" or what is not ready.
	Checks map[string]string `json:"checks"`
}

// Ready reports whether the report says ready.
func (r Report) Ready() bool { return r.Status == "ready" }

// Check runs every check at once, each within the timeout, updates the
// gRPC health status and returns the report.
func (c *Checker) Check(ctx context.Context) Report {
	r, errs := c.check(ctx, nil)
	c.settle(r.Ready(), errs)
	return r
}

// CheckOnly runs the checks that keep returns true for, at once, each
// within the timeout, and returns their report; the gRPC health status,
// which follows every check, is left as it is.
func (c *Checker) CheckOnly(ctx context.Context, keep func(name string) bool) Report {
	r, _ := c.check(ctx, keep)
	return r
}

// Names returns the names of the checks, in their order.
func (c *Checker) Names() []string {
	names := make([]string, len(c.cfg.Checks))
	for i, ch := range c.cfg.Checks {
		names[i] = ch.Name
	}
	return names
}

// check runs the checks keep keeps (every one when keep is nil) and
// returns the report and each check's error, nil for those passed or left
// out.
func (c *Checker) check(ctx context.Context, keep func(string) bool) (Report, []error) {
	errs := make([]error, len(c.cfg.Checks))
	ran := make([]bool, len(c.cfg.Checks))
	var wg sync.WaitGroup
	for i, ch := range c.cfg.Checks {
		if keep != nil && !keep(ch.Name) {
			continue
		}
		ran[i] = true
		wg.Go(func() { errs[i] = c.run(ctx, ch) })
	}
	wg.Wait()
	r := Report{Status: "ready", Checks: make(map[string]string, len(errs))}
	for i, err := range errs {
		if !ran[i] {
			continue
		}
		name := c.cfg.Checks[i].Name
		r.Checks[name] = "ok"
		if err != nil {
			r.Status, r.Checks[name] = "not ready", err.Error()
		}
	}
	return r, errs
}

// run runs one check within the timeout. A check that does not return in
// time fails, even one that ignores its context.
func (c *Checker) run(ctx context.Context, ch Check) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ch.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil && ctx.Err() != nil {
			return Fail(fmt.Sprintf("no answer within %s", c.cfg.Timeout), err)
		}
		return err
	case <-ctx.Done():
		return Fail(fmt.Sprintf("no answer within %s", c.cfg.Timeout), ctx.Err())
	}
}

// settle records the outcome, logging a change and passing it on to the
// gRPC health service.
func (c *Checker) settle(ready bool, errs []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready != nil && *c.ready == ready {
		return
	}
	c.ready = &ready
	if ready {
		c.cfg.Log.Info("ready")
		c.setGRPC(healthpb.HealthCheckResponse_SERVING)
		return
	}
	attrs := []any{}
	for i, err := range errs {
		if err != nil {
			attrs = append(attrs, slog.Group(c.cfg.Checks[i].Name, "status", err.Error(), "err", cause(err)))
		}
	}
	c.cfg.Log.Warn("not ready", attrs...)
	c.setGRPC(healthpb.HealthCheckResponse_NOT_SERVING)
}

// cause returns what the log says of err: its cause when it has one.
func cause(err error) string {
	var f *failure
	if errors.As(err, &f) && f.cause != nil {
		return f.cause.Error()
	}
	return err.Error()
}

func (c *Checker) setGRPC(s healthpb.HealthCheckResponse_ServingStatus) {
	if c.cfg.GRPC == nil {
		return
	}
	for _, svc := range c.cfg.Services {
		c.cfg.GRPC.SetServingStatus(svc, s)
	}
}

// Run checks every interval until ctx is done, so that the gRPC health
// status follows readiness between calls of /readyz.
func (c *Checker) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.Check(ctx)
		}
	}
}

// Live is the handler of GET /healthz: 200 while the process serves
// HTTP, whatever the state of its parts.
func Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// Ready returns the handler of GET /readyz: it runs the checks and answers
// 200 with the report when all pass, 503 otherwise. The query parameter
// exclude (repeated, or comma-separated) leaves checks out, as Kubernetes'
// /readyz?exclude= does; a request with a path value "check" (a route
// such as /readyz/{check}) runs that check alone. Either way the gRPC
// health status, which follows every check, is left as it is; a name
// that is no check's answers 404.
func (c *Checker) Ready() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A client that leaves does not make the server unready.
		ctx := context.WithoutCancel(r.Context())
		names := c.Names()
		var keep func(string) bool
		if one := r.PathValue("check"); one != "" {
			if !slices.Contains(names, one) {
				writeJSON(w, http.StatusNotFound, map[string]string{"status": "unknown check", "checks": strings.Join(names, ", ")})
				return
			}
			keep = func(name string) bool { return name == one }
		} else if ex := r.URL.Query()["exclude"]; len(ex) > 0 {
			var out []string
			for _, v := range ex {
				out = append(out, strings.Split(v, ",")...)
			}
			for _, n := range out {
				if !slices.Contains(names, n) {
					writeJSON(w, http.StatusNotFound, map[string]string{"status": "unknown check", "checks": strings.Join(names, ", ")})
					return
				}
			}
			keep = func(name string) bool { return !slices.Contains(out, name) }
		}
		var rep Report
		if keep == nil {
			rep = c.Check(ctx)
		} else {
			rep = c.CheckOnly(ctx, keep)
		}
		code := http.StatusOK
		if !rep.Ready() {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, rep)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v) // maps of strings and Report always marshal
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
