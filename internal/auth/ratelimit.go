package auth

import (
	"context"
	"log/slog"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// MaxRateLimit bounds a key's requests-per-minute limit.
const MaxRateLimit = 1_000_000

// rateWindow is the window of per-key limits: a limit of N allows N
// requests in each minute of the clock (fixed windows, aligned on the
// minute for every replica).
const rateWindow = time.Minute

// RateLimiter enforces the per-key requests-per-minute limits
// (Principal.RateLimit) with a counter that every replica shares. It fails
// closed: when the counter cannot be reached, the request is refused with
// EUnavailable and the cause is logged. It is safe for concurrent use.
type RateLimiter struct {
	counter clavis.RateCounter
	now     func() time.Time
	log     *slog.Logger
}

// NewRateLimiter returns a RateLimiter counting in c; now nil means
// time.Now.
func NewRateLimiter(c clavis.RateCounter, now func() time.Time, log *slog.Logger) *RateLimiter {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RateLimiter{counter: c, now: now, log: log}
}

// Admit counts one request of p's key and returns nil when it is within
// the key's limit, EThrottled (with RetryAfter, the time until the window
// ends) when it is over, and EUnavailable when the counter failed. Callers
// without a limit (a portal session, a key without one) are always
// admitted, and counted nowhere.
func (l *RateLimiter) Admit(ctx context.Context, p *clavis.Principal) error {
	if l == nil || p == nil || p.RateLimit <= 0 || p.KeyID == "" {
		return nil
	}
	now := l.now()
	start := now.Truncate(rateWindow)
	// The count outlives the window a little, for clocks of replicas
	// that run slightly apart.
	n, err := l.counter.CountRequest(ctx, "key:"+p.KeyID, start, 2*rateWindow)
	if err != nil {
		l.log.Error("rate limit counter unreachable: refusing the request", "key_id", p.KeyID, "err", err)
		return &clavis.Error{Code: clavis.EUnavailable, Message: "the rate limit counter of this key is unreachable, so the request is refused; retry later", Cause: err}
	}
	if n > int64(p.RateLimit) {
		wait := start.Add(rateWindow).Sub(now)
		return clavis.Throttled(wait, "this key is over its rate limit of %d requests a minute; retry after %s", p.RateLimit, start.Add(rateWindow).UTC().Format(time.RFC3339))
	}
	return nil
}

// ParseRateLimit checks a requests-per-minute limit given for a key: 0 (no
// limit) up to MaxRateLimit.
func ParseRateLimit(n int64) (int, error) {
	if n < 0 || n > MaxRateLimit {
		return 0, clavis.Errorf(clavis.EInvalid, "rate_limit: %d is not a number of requests a minute from 0 (no limit) to %d", n, MaxRateLimit)
	}
	return int(n), nil
}

// CheckRateGrant refuses, with EForbidden, a key limit that would let a
// rate-limited credential escape its own limit: such a credential creates
// and patches only keys limited to at most its own rate.
func CheckRateGrant(p *clavis.Principal, limit int) error {
	if p == nil || p.RateLimit <= 0 || (limit > 0 && limit <= p.RateLimit) {
		return nil
	}
	return clavis.Errorf(clavis.EForbidden, "this credential is limited to %d requests a minute: the keys it creates or patches need a rate_limit from 1 to %d", p.RateLimit, p.RateLimit)
}
