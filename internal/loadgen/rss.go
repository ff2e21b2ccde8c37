package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssReader reads the server's resident memory in bytes: VmRSS of a local
// process, or process_resident_memory_bytes from its /metrics.
type rssReader func(ctx context.Context) (int64, error)

func procRSS(pid int) rssReader {
	return func(context.Context) (int64, error) {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return 0, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				return n << 10, err
			}
		}
		return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
}

func metricsRSS(url string) rssReader {
	c := &http.Client{Timeout: 5 * time.Second}
	return func(ctx context.Context) (int64, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return 0, err
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return int64(f), err
			}
		}
		return 0, fmt.Errorf("%s has no process_resident_memory_bytes", url)
	}
}

// sampler keeps the largest resident memory read while it runs.
type sampler struct {
	read rssReader
	mu   sync.Mutex
	max  int64
	errs int
	stop context.CancelFunc
	done chan struct{}
}

func startSampler(read rssReader, every time.Duration) *sampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &sampler{read: read, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if n, err := read(ctx); err == nil {
				s.mu.Lock()
				s.max = max(s.max, n)
				s.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends the sampling and returns the largest value read.
func (s *sampler) Stop() int64 {
	s.stop()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max
}
