package vector

import (
	"fmt"
	"math"

	"github.com/clavis-dev/clavis/clavis"
)

// Metric is how a query compares with a stored vector, as Clarifai's
// Search.metric names it.
type Metric int

// Metrics. The zero value is Euclidean, Clarifai's default.
const (
	// Euclidean scores the Euclidean distance d as max(0, 1 - d²/4): 1 for
	// the same vector, 0.5 for orthogonal unit vectors, 0 for opposite
	// ones (and anything 2 or more apart).
	Euclidean Metric = iota
	// Cosine scores the angle θ between the vectors as (1 + cos θ)/2,
	// whatever their lengths: 1 for the same direction, 0.5 orthogonal, 0
	// opposite. A zero vector is orthogonal to everything.
	Cosine
)

// String returns the metric's name in Clarifai's enum.
func (m Metric) String() string {
	switch m {
	case Euclidean:
		return "EUCLIDEAN_DISTANCE"
	case Cosine:
		return "COSINE_DISTANCE"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// Algorithm is how a search finds its hits, as Clarifai's
// Search.algorithm names it.
type Algorithm int

// Algorithms. The zero value is NearestNeighbor, Clarifai's default.
const (
	// NearestNeighbor searches the space's approximate index when it is
	// ready and the metric is Euclidean, and searches exactly otherwise.
	NearestNeighbor Algorithm = iota
	// BruteForce compares the query with every stored vector.
	BruteForce
)

// ParseAlgorithm returns the algorithm Clarifai's Search.algorithm names:
// "" or "nearest_neighbor", and "brute_force"; any other name is a
// clavis.EInvalid error.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch s {
	case "", "nearest_neighbor":
		return NearestNeighbor, nil
	case "brute_force":
		return BruteForce, nil
	}
	return 0, clavis.Errorf(clavis.EInvalid, "unknown search algorithm %q: want nearest_neighbor or brute_force", s)
}

// Score returns how alike q and v are under m, in [0, 1]; higher is more
// alike. q and v must have the same length.
func Score(m Metric, q, v []float32) float32 {
	if m == Cosine {
		var dot, qq, vv float64
		for i := range q {
			dot += float64(q[i]) * float64(v[i])
			qq += float64(q[i]) * float64(q[i])
			vv += float64(v[i]) * float64(v[i])
		}
		if qq == 0 || vv == 0 {
			return 0.5
		}
		return float32(min(1, max(0, (1+dot/math.Sqrt(qq*vv))/2)))
	}
	return euclideanScore(sqDist(q, v))
}

// euclideanScore maps a squared Euclidean distance to Euclidean's score.
func euclideanScore(d2 float32) float32 { return max(0, 1-d2/4) }

// sqDist returns the squared Euclidean distance of a and b, which must
// have the same length. Four partial sums let the processor overlap the
// additions.
func sqDist(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(a) &^ 3
	b = b[:len(a)]
	for i := 0; i < n; i += 4 {
		d0, d1, d2, d3 := a[i]-b[i], a[i+1]-b[i+1], a[i+2]-b[i+2], a[i+3]-b[i+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for i := n; i < len(a); i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}
