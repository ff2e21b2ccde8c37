package listen

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// rateLog logs one kind of recurring event at most once per interval: the
// first event at once, those that follow within the interval as one line
// with their count when it ends. A flood of refused connections thus costs a
// line every few seconds, not one per connection.
type rateLog struct {
	log   *slog.Logger
	every time.Duration
	msg   string

	mu      sync.Mutex
	running bool        // an interval is running
	n       int         // events in it not yet logged
	total   int64       // events ever
	attrs   []slog.Attr // of the last event not yet logged
}

// add records one event described by attrs.
func (r *rateLog) add(attrs ...slog.Attr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	if r.running {
		r.n++
		r.attrs = attrs
		return
	}
	r.running = true
	r.emit(1, attrs)
	time.AfterFunc(r.every, r.tick)
}

// tick ends an interval: it logs the events held back, if any, and starts
// another interval; otherwise the next event is logged at once.
func (r *rateLog) tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		r.running = false
		return
	}
	r.emit(r.n, r.attrs)
	r.n, r.attrs = 0, nil
	time.AfterFunc(r.every, r.tick)
}

func (r *rateLog) emit(n int, attrs []slog.Attr) {
	all := append([]slog.Attr{slog.Int("count", n), slog.Int64("total", r.total)}, attrs...)
	r.log.LogAttrs(context.Background(), slog.LevelWarn, r.msg, all...)
}
