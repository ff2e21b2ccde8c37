package vector

import "slices"

// candidate is a graph node with its distance to the query.
type candidate struct {
	dist float32
	node int32
}

func sortCandidates(cs []candidate) {
	slices.SortFunc(cs, func(a, b candidate) int {
		switch {
		case a.dist < b.dist:
			return -1
		case a.dist > b.dist:
			return 1
		}
		return int(a.node) - int(b.node)
	})
}

// queue is a binary heap of candidates: the nearest on top, or the
// farthest.
type queue struct {
	s        []candidate
	farthest bool
}

func (h *queue) len() int       { return len(h.s) }
func (h *queue) top() candidate { return h.s[0] }
func (h *queue) above(i, j int) bool {
	if h.farthest {
		return h.s[i].dist > h.s[j].dist
	}
	return h.s[i].dist < h.s[j].dist
}

func (h *queue) push(c candidate) {
	h.s = append(h.s, c)
	for i := len(h.s) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.above(i, p) {
			break
		}
		h.s[p], h.s[i] = h.s[i], h.s[p]
		i = p
	}
}

func (h *queue) pop() candidate {
	top := h.s[0]
	last := len(h.s) - 1
	h.s[0] = h.s[last]
	h.s = h.s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.s) && h.above(l, m) {
			m = l
		}
		if r < len(h.s) && h.above(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h.s[m], h.s[i] = h.s[i], h.s[m]
		i = m
	}
	return top
}
