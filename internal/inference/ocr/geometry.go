package ocr

import (
	"math"
	"slices"
)

// point is a position in pixels, x to the right and y down.
type point struct{ X, Y float64 }

func (p point) sub(q point) point     { return point{p.X - q.X, p.Y - q.Y} }
func (p point) add(q point) point     { return point{p.X + q.X, p.Y + q.Y} }
func (p point) scale(f float64) point { return point{p.X * f, p.Y * f} }
func (p point) dot(q point) float64   { return p.X*q.X + p.Y*q.Y }
func (p point) cross(q point) float64 { return p.X*q.Y - p.Y*q.X }
func (p point) norm() float64         { return math.Hypot(p.X, p.Y) }
func (p point) dist(q point) float64  { return p.sub(q).norm() }

// quad is a text box's corners in the order top-left, top-right,
// bottom-right, bottom-left, as PaddleOCR orders them.
type quad [4]point

// convexHull returns the convex hull of pts in counter-clockwise order
// (Andrew's monotone chain), without collinear points. pts is reordered.
func convexHull(pts []point) []point {
	if len(pts) < 3 {
		return pts
	}
	slices.SortFunc(pts, func(a, b point) int {
		if a.X != b.X {
			if a.X < b.X {
				return -1
			}
			return 1
		}
		if a.Y < b.Y {
			return -1
		}
		if a.Y > b.Y {
			return 1
		}
		return 0
	})
	hull := make([]point, 0, 2*len(pts))
	for _, p := range pts {
		for len(hull) >= 2 && hull[len(hull)-1].sub(hull[len(hull)-2]).cross(p.sub(hull[len(hull)-2])) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	lower := len(hull) + 1
	for i := len(pts) - 2; i >= 0; i-- {
		p := pts[i]
		for len(hull) >= lower && hull[len(hull)-1].sub(hull[len(hull)-2]).cross(p.sub(hull[len(hull)-2])) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	return hull[:len(hull)-1]
}

// rect is a rotated rectangle: a center and two perpendicular half-axes.
type rect struct {
	C    point
	U, V point // half-axes; |U| and |V| are half the side lengths
}

// sides returns the rectangle's side lengths along U and V.
func (r rect) sides() (float64, float64) { return 2 * r.U.norm(), 2 * r.V.norm() }

// minSide returns the length of the rectangle's shorter side.
func (r rect) minSide() float64 {
	a, b := r.sides()
	return math.Min(a, b)
}

// grow returns the rectangle with every side pushed out by d.
func (r rect) grow(d float64) rect {
	g := func(h point) point {
		n := h.norm()
		if n == 0 {
			return h
		}
		return h.scale((n + d) / n)
	}
	return rect{C: r.C, U: g(r.U), V: g(r.V)}
}

// corners returns the rectangle's corners ordered as PaddleOCR's
// get_mini_boxes does: of the two leftmost, the upper is top-left; of the
// two rightmost, the upper is top-right.
func (r rect) corners() quad {
	pts := []point{
		r.C.sub(r.U).sub(r.V), r.C.add(r.U).sub(r.V),
		r.C.add(r.U).add(r.V), r.C.sub(r.U).add(r.V),
	}
	slices.SortStableFunc(pts, func(a, b point) int {
		switch {
		case a.X < b.X:
			return -1
		case a.X > b.X:
			return 1
		}
		return 0
	})
	var q quad
	if pts[0].Y <= pts[1].Y {
		q[0], q[3] = pts[0], pts[1]
	} else {
		q[0], q[3] = pts[1], pts[0]
	}
	if pts[2].Y <= pts[3].Y {
		q[1], q[2] = pts[2], pts[3]
	} else {
		q[1], q[2] = pts[3], pts[2]
	}
	return q
}

// minAreaRect returns the smallest rectangle holding the convex polygon
// hull (rotating calipers: one side of the optimum lies on a hull edge).
func minAreaRect(hull []point) rect {
	switch len(hull) {
	case 0:
		return rect{}
	case 1:
		return rect{C: hull[0]}
	}
	best := math.Inf(1)
	var out rect
	for i := range hull {
		e := hull[(i+1)%len(hull)].sub(hull[i])
		l := e.norm()
		if l == 0 {
			continue
		}
		u := e.scale(1 / l)
		n := point{-u.Y, u.X}
		minU, maxU, minN, maxN := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, p := range hull {
			a, b := p.dot(u), p.dot(n)
			minU, maxU = math.Min(minU, a), math.Max(maxU, a)
			minN, maxN = math.Min(minN, b), math.Max(maxN, b)
		}
		if area := (maxU - minU) * (maxN - minN); area < best {
			best = area
			cu, cn := (minU+maxU)/2, (minN+maxN)/2
			out = rect{
				C: u.scale(cu).add(n.scale(cn)),
				U: u.scale((maxU - minU) / 2),
				V: n.scale((maxN - minN) / 2),
			}
		}
	}
	return out
}

// inQuad reports whether p lies inside the convex quadrilateral q or on its
// edges, whichever way q winds.
func inQuad(q quad, p point) bool {
	var pos, neg bool
	for i := range q {
		c := q[(i+1)%4].sub(q[i]).cross(p.sub(q[i]))
		if c > 1e-9 {
			pos = true
		} else if c < -1e-9 {
			neg = true
		}
	}
	return !(pos && neg)
}
