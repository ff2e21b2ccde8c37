package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// maxMemorySubjects bounds a Memory counter's windows: past it, windows past
// their ttl are forgotten first.
const maxMemorySubjects = 100_000

// Memory counts requests in this process's memory: exact for one server,
// not shared with replicas. The zero value is ready to use; it is safe for
// concurrent use.
type Memory struct {
	mu     sync.Mutex
	counts map[memoryKey]*memoryWindow
}

type memoryKey struct {
	subject string
	start   int64
}

type memoryWindow struct {
	n       int64
	expires time.Time
}

var _ clavis.RateCounter = (*Memory)(nil)

// CountRequest implements clavis.RateCounter; it never fails.
func (m *Memory) CountRequest(_ context.Context, subject string, start time.Time, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[memoryKey]*memoryWindow{}
	}
	k := memoryKey{subject, start.UnixNano()}
	w, ok := m.counts[k]
	if !ok {
		if len(m.counts) >= maxMemorySubjects {
			now := time.Now()
			for k, v := range m.counts {
				if now.After(v.expires) {
					delete(m.counts, k)
				}
			}
		}
		w = &memoryWindow{expires: start.Add(ttl)}
		m.counts[k] = w
	}
	w.n++
	return w.n, nil
}
