package embedeval

import (
	"image"
	"math"
	"slices"
)

// Original is an image the labelled set is made from. Originals of one
// group show the same picture (such as a PNG and its JPEG re-encoding).
type Original struct {
	Group, Name string
	Image       image.Image
}

// Item is one image of the labelled set. Items of one group are each
// other's positives; every other item is a distractor.
type Item struct {
	Group     string
	Name      string // the original's name, then "/" and the transform's
	Transform string // "" for an original
	Image     image.Image
}

// Build returns the labelled set of originals: each original, followed by
// its copies made by every transform of recipe, in order.
func Build(originals []Original, recipe []Transform) ([]Item, error) {
	var items []Item
	for _, o := range originals {
		items = append(items, Item{Group: o.Group, Name: o.Name, Image: o.Image})
		for _, t := range recipe {
			img, err := t.Apply(o.Image)
			if err != nil {
				return nil, err
			}
			items = append(items, Item{Group: o.Group, Name: o.Name + "/" + t.Name, Transform: t.Name, Image: img})
		}
	}
	return items, nil
}

// Scores are retrieval figures over a labelled set.
type Scores struct {
	// Queries is how many items were queried.
	Queries int
	// RecallAt1 and RecallAt5 are the shares of queries with a positive
	// first, and among the first five; MAP is the mean over queries of
	// the average precision of the whole ranking.
	RecallAt1, RecallAt5, MAP float64
	// OriginalAt1 is the share of copies whose most similar original is
	// their own, ranking only the originals (as a search of stored
	// originals for a copy does).
	OriginalAt1 float64
}

// Evaluate ranks, for every item, every other item by the similarity of
// their vectors (vecs[i] is items[i]'s, of unit length; similarity is the
// dot product, ties going to the earlier item) and scores the rankings.
func Evaluate(items []Item, vecs [][]float32) Scores {
	var s Scores
	var copies, copyHits int
	for q := range items {
		order := make([]int, 0, len(items)-1)
		for i := range items {
			if i != q {
				order = append(order, i)
			}
		}
		sim := func(i int) float64 { return dot(vecs[q], vecs[i]) }
		slices.SortStableFunc(order, func(a, b int) int {
			sa, sb := sim(a), sim(b)
			switch {
			case sa > sb:
				return -1
			case sa < sb:
				return 1
			}
			return 0
		})
		positive := func(i int) bool { return items[i].Group == items[q].Group }
		positives := 0
		for _, i := range order {
			if positive(i) {
				positives++
			}
		}
		if positives == 0 {
			continue
		}
		found := 0
		var ap float64
		for rank, i := range order {
			if !positive(i) {
				continue
			}
			found++
			ap += float64(found) / float64(rank+1)
			if rank == 0 {
				s.RecallAt1++
			}
		}
		if slices.ContainsFunc(order[:min(5, len(order))], positive) {
			s.RecallAt5++
		}
		s.MAP += ap / float64(positives)
		s.Queries++
		if items[q].Transform != "" {
			copies++
			best, bestSim := -1, math.Inf(-1)
			for _, i := range order {
				if items[i].Transform == "" && sim(i) > bestSim {
					best, bestSim = i, sim(i)
				}
			}
			if best >= 0 && positive(best) {
				copyHits++
			}
		}
	}
	if s.Queries > 0 {
		n := float64(s.Queries)
		s.RecallAt1, s.RecallAt5, s.MAP = s.RecallAt1/n, s.RecallAt5/n, s.MAP/n
	}
	if copies > 0 {
		s.OriginalAt1 = float64(copyHits) / float64(copies)
	}
	return s
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
