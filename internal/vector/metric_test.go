package vector_test

import (
	"testing"

	"github.com/clavis-dev/clavis/internal/vector"
)

func TestScore(t *testing.T) {
	for _, tt := range []struct {
		name string
		m    vector.Metric
		q, v []float32
		want float32
	}{
		{"EuclideanSame", vector.Euclidean, []float32{0.6, 0.8}, []float32{0.6, 0.8}, 1},
		{"EuclideanOrthogonal", vector.Euclidean, []float32{1, 0}, []float32{0, 1}, 0.5},
		{"EuclideanOpposite", vector.Euclidean, []float32{1, 0}, []float32{-1, 0}, 0},
		{"EuclideanFar", vector.Euclidean, []float32{3, 0}, []float32{0, 4}, 0},
		{"EuclideanNear", vector.Euclidean, []float32{1, 0}, []float32{0, 0}, 0.75},
		{"CosineSameDirection", vector.Cosine, []float32{1, 2}, []float32{3, 6}, 1},
		{"CosineOrthogonal", vector.Cosine, []float32{2, 0}, []float32{0, 5}, 0.5},
		{"CosineOpposite", vector.Cosine, []float32{1, 1}, []float32{-2, -2}, 0},
		{"CosineZero", vector.Cosine, []float32{0, 0}, []float32{1, 0}, 0.5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := vector.Score(tt.m, tt.q, tt.v); got != tt.want {
				t.Errorf("Score = %v, want %v", got, tt.want)
			}
		})
	}
	// For unit vectors the two metrics agree: (1 + cos)/2 = 1 - d²/4.
	q, v := []float32{0.6, 0.8}, []float32{1, 0}
	if e, c := vector.Score(vector.Euclidean, q, v), vector.Score(vector.Cosine, q, v); e-c > 1e-6 || c-e > 1e-6 || e != 0.8 {
		t.Errorf("unit vectors: Euclidean %v, Cosine %v, want both 0.8", e, c)
	}
}

func TestParseAlgorithm(t *testing.T) {
	for s, want := range map[string]vector.Algorithm{"": vector.NearestNeighbor, "nearest_neighbor": vector.NearestNeighbor, "brute_force": vector.BruteForce} {
		if got, err := vector.ParseAlgorithm(s); err != nil || got != want {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := vector.ParseAlgorithm("avg_concept_brute_force"); err == nil {
		t.Error("ParseAlgorithm accepted avg_concept_brute_force")
	}
	if vector.Euclidean.String() != "EUCLIDEAN_DISTANCE" || vector.Cosine.String() != "COSINE_DISTANCE" {
		t.Error("metric names differ from Clarifai's")
	}
}
