package vector

import (
	"hash/fnv"
	"math"
	"slices"
	"sync"
)

// Graph parameters: each node keeps up to graphM neighbours per upper
// level and 2·graphM on level 0, insertion explores graphEFConstruction
// candidates, and levels are drawn with mL = 1/ln(graphM), as Malkov and
// Yashunin recommend. Insertion is what an index build spends its time on,
// nearly all of it in distances (1792 multiplications each for
// general-image-embedding); 40 candidates rather than the usual 100 or
// more halve it, and searches make up for it with a wider beam (see
// searchEF). docs/search.md has the figures.
const (
	graphM              = 16
	graphM0             = 2 * graphM
	graphEFConstruction = 40
	graphMaxLevel       = 16
)

var graphML = 1 / math.Log(graphM)

// graph is a hierarchical navigable small world graph (Malkov and
// Yashunin, 2016) over squared Euclidean distances. Deleting a node only
// marks it: the graph still routes through it, searches never return it,
// and its memory is freed when the space's index is rebuilt. A node's level
// comes from a hash of its id, so the same ids give the same levels in any
// order. graph is not safe for concurrent use: searches may run together,
// inserts and deletes alone.
type graph struct {
	dim      int
	vecs     [][]float32 // by node
	ids      []string
	links    [][][]int32 // links[node][level]: the node's neighbours there
	deleted  []bool
	byID     map[string]int32 // live nodes only
	entry    int32            // the top node; -1 when empty
	maxLevel int
	bytes    int64 // the estimate Bytes returns

	visits sync.Pool // of *visited, sized for the graph at the time
}

func newGraph(dim int) *graph {
	return &graph{dim: dim, byID: map[string]int32{}, entry: -1}
}

// Len returns how many live vectors the graph holds; Deleted how many
// marked ones it still keeps.
func (g *graph) Len() int     { return len(g.byID) }
func (g *graph) Deleted() int { return len(g.ids) - len(g.byID) }

// nodeBytes estimates what a node of the given level costs: its vector,
// its neighbour lists at full capacity, its id, and the map entry and
// slice headers that point at them.
func nodeBytes(dim, level int, id string) int64 {
	return int64(4*dim + 4*linkCap(0) + level*(4*linkCap(1)+24) + len(id) + 144)
}

// Bytes returns an estimate of the memory the graph holds.
func (g *graph) Bytes() int64 { return g.bytes }

// vec returns node n's vector.
func (g *graph) vec(n int32) []float32 { return g.vecs[n] }

// levelOf draws id's level from its FNV-1a hash: P(level ≥ l) = M^-l.
func levelOf(id string) int {
	h := fnv.New64a()
	h.Write([]byte(id))
	u := (float64(h.Sum64()>>11) + 1) / (1 << 53) // uniform in (0, 1]
	return min(graphMaxLevel, int(-math.Log(u)*graphML))
}

// has reports whether id is a live node.
func (g *graph) has(id string) bool {
	_, ok := g.byID[id]
	return ok
}

// insert adds v under id, replacing (marking deleted) a live node with
// the same id. v must have g.dim values; the graph keeps its own copy.
func (g *graph) insert(id string, v []float32) {
	g.delete(id)
	level := levelOf(id)
	n := int32(len(g.ids))
	v = slices.Clone(v)
	g.ids = append(g.ids, id)
	g.vecs = append(g.vecs, v)
	g.deleted = append(g.deleted, false)
	ls := make([][]int32, level+1)
	for l := range ls {
		ls[l] = make([]int32, 0, linkCap(l))
	}
	g.links = append(g.links, ls)
	g.byID[id] = n
	g.bytes += nodeBytes(g.dim, level, id)
	if g.entry < 0 {
		g.entry, g.maxLevel = n, level
		return
	}
	vis := g.visited()
	defer g.visits.Put(vis)
	ep := g.greedy(v, g.entry, g.maxLevel, level)
	eps := []int32{ep}
	for l := min(level, g.maxLevel); l >= 0; l-- {
		cands := g.searchLayer(v, eps, graphEFConstruction, l, vis)
		// A new node links to graphM neighbours on every level, as
		// hnswlib does; level 0 has room for more as others link back.
		neighbours := g.selectNeighbours(cands, graphM, true)
		g.links[n][l] = append(g.links[n][l], neighbours...)
		for _, e := range neighbours {
			g.link(e, n, l)
		}
		eps = eps[:0]
		for _, c := range cands {
			eps = append(eps, c.node)
		}
	}
	if level > g.maxLevel {
		g.entry, g.maxLevel = n, level
	}
}

// maxLinks returns how many neighbours a node keeps on level l after
// pruning; linkCap how many it may gather before it is pruned again.
// Pruning is the costliest part of an insert (a distance for each pair of
// neighbours), and letting lists grow by half before pruning them back
// does it a few times less often.
func maxLinks(l int) int {
	if l == 0 {
		return graphM0
	}
	return graphM
}

func linkCap(l int) int { return maxLinks(l) * 3 / 2 }

// link adds n to e's neighbours on level l, pruning them with the
// selection heuristic when they overflow.
func (g *graph) link(e, n int32, l int) {
	ls := append(g.links[e][l], n)
	if len(ls) <= linkCap(l) {
		g.links[e][l] = ls
		return
	}
	ev := g.vec(e)
	cands := make([]candidate, len(ls))
	for i, x := range ls {
		cands[i] = candidate{sqDist(ev, g.vec(x)), x}
	}
	sortCandidates(cands)
	kept := g.selectNeighbours(cands, maxLinks(l), false)
	g.links[e][l] = append(ls[:0], kept...)
}

// selectNeighbours picks up to m of cands (sorted nearest first) with
// Malkov and Yashunin's heuristic: a candidate is kept only if it is
// nearer the base than any kept one, which spreads links across
// directions; the nearest skipped ones then fill what is left. With
// liveOnly, deleted nodes are chosen only to fill what is left, so that a
// node inserted among deleted ones is still linked.
func (g *graph) selectNeighbours(cands []candidate, m int, liveOnly bool) []int32 {
	out := make([]int32, 0, m)
	var skipped, deleted []int32
	for _, c := range cands {
		if len(out) == m {
			break
		}
		if liveOnly && g.deleted[c.node] {
			deleted = append(deleted, c.node)
			continue
		}
		cv := g.vec(c.node)
		good := true
		for _, s := range out {
			if sqDist(cv, g.vec(s)) < c.dist {
				good = false
				break
			}
		}
		if good {
			out = append(out, c.node)
		} else {
			skipped = append(skipped, c.node)
		}
	}
	for _, s := range append(skipped, deleted...) {
		if len(out) == m {
			break
		}
		out = append(out, s)
	}
	return out
}

// delete marks id's node deleted, if id is live.
func (g *graph) delete(id string) {
	n, ok := g.byID[id]
	if !ok {
		return
	}
	g.deleted[n] = true
	delete(g.byID, id)
}

// greedy walks from ep down to level stop+1, at each level to the node
// nearest q, and returns where it ends.
func (g *graph) greedy(q []float32, ep int32, from, stop int) int32 {
	d := sqDist(q, g.vec(ep))
	for l := from; l > stop; l-- {
		for changed := true; changed; {
			changed = false
			for _, x := range g.links[ep][l] {
				if dx := sqDist(q, g.vec(x)); dx < d {
					ep, d, changed = x, dx, true
				}
			}
		}
	}
	return ep
}

// search returns up to ef nodes near q on level 0, nearest first, deleted
// ones included (the caller filters them).
func (g *graph) search(q []float32, ef int) []candidate {
	if g.entry < 0 {
		return nil
	}
	vis := g.visited()
	defer g.visits.Put(vis)
	ep := g.greedy(q, g.entry, g.maxLevel, 0)
	return g.searchLayer(q, []int32{ep}, ef, 0, vis)
}

// searchLayer is the beam search of level l from eps for q, keeping the
// ef nearest nodes found; it returns them nearest first.
func (g *graph) searchLayer(q []float32, eps []int32, ef, l int, vis *visited) []candidate {
	vis.reset(len(g.ids))
	near := queue{}                // candidates to expand, nearest on top
	found := queue{farthest: true} // the ef best so far, farthest on top
	for _, e := range eps {
		if vis.see(e) {
			continue
		}
		c := candidate{sqDist(q, g.vec(e)), e}
		near.push(c)
		found.push(c)
	}
	for found.len() > ef {
		found.pop()
	}
	for near.len() > 0 {
		c := near.pop()
		if found.len() >= ef && c.dist > found.top().dist {
			break
		}
		for _, x := range g.links[c.node][l] {
			if vis.see(x) {
				continue
			}
			d := sqDist(q, g.vec(x))
			if found.len() < ef || d < found.top().dist {
				near.push(candidate{d, x})
				found.push(candidate{d, x})
				if found.len() > ef {
					found.pop()
				}
			}
		}
	}
	out := found.s
	sortCandidates(out)
	return out
}

// visited marks the nodes a search has seen, reset in O(1) by bumping an
// epoch.
type visited struct {
	epoch uint32
	marks []uint32
}

func (g *graph) visited() *visited {
	if v, ok := g.visits.Get().(*visited); ok {
		return v
	}
	return &visited{}
}

func (v *visited) reset(n int) {
	if len(v.marks) < n {
		v.marks = make([]uint32, n+n/4)
		v.epoch = 0
	}
	v.epoch++
	if v.epoch == 0 { // wrapped: clear the old marks
		clear(v.marks)
		v.epoch = 1
	}
}

// see marks n and reports whether it was marked already.
func (v *visited) see(n int32) bool {
	if v.marks[n] == v.epoch {
		return true
	}
	v.marks[n] = v.epoch
	return false
}
