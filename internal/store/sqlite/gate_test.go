package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// queued waits until the gate has fg and bg waiters.
func queued(t *testing.T, g *gate, fg, bg int) {
	t.Helper()
	for range 1000 {
		g.mu.Lock()
		f, b := len(g.fg), len(g.bg)
		g.mu.Unlock()
		if f == fg && b == bg {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("the gate's waiters did not reach %d foreground and %d background", fg, bg)
}

// order holds the gate while waiters of kinds (in the order given, "f" or
// "b") queue, then lets them through and returns the order they entered.
func order(t *testing.T, kinds ...string) []string {
	var g gate
	if err := g.enter(context.Background(), false, time.Second); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	fg, bg := 0, 0
	for i, k := range kinds {
		name := fmt.Sprintf("%s%d", k, i)
		wg.Go(func() {
			if err := g.enter(context.Background(), k == "b", 10*time.Second); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, name)
			mu.Unlock()
			g.leave()
		})
		if k == "b" {
			bg++
		} else {
			fg++
		}
		queued(t, &g, fg, bg) // each queues in turn
	}
	g.leave()
	wg.Wait()
	if g.busy || len(g.fg)+len(g.bg) > 0 {
		t.Fatalf("the gate is not free after every waiter left: %+v", &g)
	}
	return got
}

func TestGateForegroundFirst(t *testing.T) {
	got := order(t, "b", "b", "f", "f")
	if want := []string{"f2", "f3", "b0", "b1"}; !slices.Equal(got, want) {
		t.Fatalf("entered in the order %v, want %v", got, want)
	}
}

func TestGateBackgroundNotStarved(t *testing.T) {
	kinds := []string{"b", "b"}
	for range 2*foregroundRun + 2 {
		kinds = append(kinds, "f")
	}
	got := order(t, kinds...)
	// foregroundRun requests, one background turn, foregroundRun more, the
	// other background turn, then the rest.
	var want []string
	for i := range foregroundRun {
		want = append(want, fmt.Sprintf("f%d", i+2))
	}
	want = append(want, "b0")
	for i := range foregroundRun {
		want = append(want, fmt.Sprintf("f%d", i+2+foregroundRun))
	}
	want = append(want, "b1", fmt.Sprintf("f%d", 2+2*foregroundRun), fmt.Sprintf("f%d", 3+2*foregroundRun))
	if !slices.Equal(got, want) {
		t.Fatalf("entered in the order %v, want %v", got, want)
	}
}

func TestGateWaitEnds(t *testing.T) {
	var g gate
	if err := g.enter(context.Background(), false, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := g.enter(context.Background(), false, 20*time.Millisecond); err == nil {
		t.Fatal("entered a gate that was held")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- g.enter(ctx, true, time.Minute) }()
	queued(t, &g, 0, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled wait returned %v", err)
	}
	queued(t, &g, 0, 0)
	g.leave()
	if g.busy {
		t.Fatal("the gate is held after its holder left, with no waiter")
	}
	// A turn given just as the wait ends is passed on, not lost.
	for range 200 {
		if err := g.enter(context.Background(), false, time.Second); err != nil {
			t.Fatal(err)
		}
		go func() {
			if g.enter(context.Background(), false, time.Microsecond) == nil {
				g.leave()
			}
		}()
		time.Sleep(time.Microsecond)
		g.leave()
		if err := g.enter(context.Background(), false, time.Second); err != nil {
			t.Fatalf("the gate was lost to a wait that ended: %v", err)
		}
		g.leave()
	}
}
