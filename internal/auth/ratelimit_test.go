package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

type failingCounter struct{}

func (failingCounter) CountRequest(context.Context, string, time.Time, time.Duration) (int64, error) {
	return 0, errors.New("connection refused")
}

type countingCounter struct{ n int64 }

func (c *countingCounter) CountRequest(context.Context, string, time.Time, time.Duration) (int64, error) {
	c.n++
	return c.n, nil
}

func TestRateLimiter(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 45, 0, time.UTC)
	clock := func() time.Time { return now }
	p := &clavis.Principal{KeyID: "k1", RateLimit: 2}
	c := &countingCounter{}
	l := auth.NewRateLimiter(c, clock, nil)
	for i := 0; i < 2; i++ {
		if err := l.Admit(context.Background(), p); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	err := l.Admit(context.Background(), p)
	if clavis.ErrorCode(err) != clavis.EThrottled || clavis.RetryAfter(err) != 15*time.Second {
		t.Fatalf("over the limit: %v (retry after %v)", err, clavis.RetryAfter(err))
	}
	if err := l.Admit(context.Background(), &clavis.Principal{KeyID: "k2"}); err != nil || c.n != 3 {
		t.Fatalf("a key without a limit was refused or counted: %v, %d counts", err, c.n)
	}
	// Fail closed.
	f := auth.NewRateLimiter(failingCounter{}, clock, nil)
	if err := f.Admit(context.Background(), p); clavis.ErrorCode(err) != clavis.EUnavailable {
		t.Fatalf("counter unreachable: %v, want EUnavailable", err)
	}
	if err := f.Admit(context.Background(), &clavis.Principal{KeyID: "k2"}); err != nil {
		t.Fatalf("counter unreachable, key without a limit: %v", err)
	}
	// No escalation.
	if err := auth.CheckRateGrant(p, 0); clavis.ErrorCode(err) != clavis.EForbidden {
		t.Errorf("a limited key made an unlimited one: %v", err)
	}
	if err := auth.CheckRateGrant(p, 3); clavis.ErrorCode(err) != clavis.EForbidden {
		t.Errorf("a limited key made a laxer one: %v", err)
	}
	if err := auth.CheckRateGrant(p, 1); err != nil {
		t.Errorf("a tighter limit: %v", err)
	}
}
