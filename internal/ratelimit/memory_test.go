package ratelimit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/ratelimit"
)

// TestMemoryExact counts concurrent requests: each gets a distinct count,
// and windows and subjects are apart.
func TestMemoryExact(t *testing.T) {
	var m ratelimit.Memory
	start := time.Now().Truncate(time.Minute)
	seen := make([]bool, 101)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := m.CountRequest(context.Background(), "k", start, 2*time.Minute)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || n < 1 || n > 100 || seen[n] {
				t.Errorf("count %d, %v: not a distinct count in 1..100", n, err)
				return
			}
			seen[n] = true
		}()
	}
	wg.Wait()
	if n, _ := m.CountRequest(context.Background(), "k", start.Add(time.Minute), 2*time.Minute); n != 1 {
		t.Errorf("the next window starts at %d", n)
	}
	if n, _ := m.CountRequest(context.Background(), "other", start, 2*time.Minute); n != 1 {
		t.Errorf("another subject starts at %d", n)
	}
}
