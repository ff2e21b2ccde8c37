package vector

import (
	"cmp"
	"container/heap"
	"slices"
)

// Hit is a stored vector found by a search: its id and its score under the
// query's metric.
type Hit struct {
	ID    string
	Score float32
}

// better reports whether a ranks before b: the higher score first, ties
// by id.
func better(a, b Hit) bool {
	return a.Score > b.Score || a.Score == b.Score && a.ID < b.ID
}

// compareHits orders hits best first, for slices.SortFunc.
func compareHits(a, b Hit) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// topK keeps the k best hits offered to it. The zero value is unusable;
// use newTopK.
type topK struct {
	k int
	h worstFirst
}

func newTopK(k int) *topK { return &topK{k: k} }

// offer considers h.
func (t *topK) offer(h Hit) {
	if len(t.h) < t.k {
		heap.Push(&t.h, h)
		return
	}
	if t.k > 0 && better(h, t.h[0]) {
		t.h[0] = h
		heap.Fix(&t.h, 0)
	}
}

// hits returns the kept hits, best first.
func (t *topK) hits() []Hit {
	out := slices.Clone([]Hit(t.h))
	slices.SortFunc(out, compareHits)
	return out
}

// worstFirst is a heap of hits whose root is the worst.
type worstFirst []Hit

func (h worstFirst) Len() int           { return len(h) }
func (h worstFirst) Less(i, j int) bool { return better(h[j], h[i]) }
func (h worstFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worstFirst) Push(x any)        { *h = append(*h, x.(Hit)) }
func (h *worstFirst) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
