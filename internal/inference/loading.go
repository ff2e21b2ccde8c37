package inference

import (
	"context"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// DefaultLoadWait is how long a prediction waits by default for a model
// that is still loading before it fails with EModelLoading.
const DefaultLoadWait = 3 * time.Second

// RegisterLoading adds a model whose runner is being loaded, as Register
// does, with Model.Loading set: it is listed at once, Predict waits up to
// Config.LoadWait for it, and Loaded waits for it without bound. Register
// ends the load, with the runner or, for a load that failed, without one.
func (e *Engine) RegisterLoading(m clavis.Model) {
	m.Loading, m.NotDeployed = true, ""
	e.register(&Registered{Model: m, loaded: make(chan struct{})})
}

// Loading reports whether r is a registration of a model still loading.
// Once its load ends, r stays as it was (without a runner): Loaded returns
// the registration that replaced it.
func (r *Registered) Loading() bool {
	if r.loaded == nil {
		return false
	}
	select {
	case <-r.loaded:
		return false
	default:
		return true
	}
}

// Loaded returns the registration of r's model once it is loaded: r itself
// unless r was registered loading, else the registration that ended the
// load, waited for until ctx ends (then it fails with EModelLoading).
func (e *Engine) Loaded(ctx context.Context, r *Registered) (*Registered, error) {
	for r.loaded != nil {
		select {
		case <-r.loaded:
			r = r.final
		case <-ctx.Done():
			return nil, loadingErr(r, ctx.Err())
		}
	}
	return r, nil
}

// await is Loaded bounded by Config.LoadWait.
func (e *Engine) await(ctx context.Context, r *Registered) (*Registered, error) {
	if r.loaded == nil {
		return r, nil
	}
	if e.cfg.LoadWait < 0 {
		if !r.Loading() {
			return e.Loaded(ctx, r)
		}
		return nil, loadingErr(r, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.LoadWait)
	defer cancel()
	return e.Loaded(ctx, r)
}

func loadingErr(r *Registered, cause error) error {
	return &clavis.Error{Code: clavis.EModelLoading, RetryAfter: time.Second, Cause: cause,
		Message: "model \"" + r.Model.ID + "\" is still loading on this server, which started moments ago; retry in a few seconds"}
}
