package vision

import (
	"slices"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// TestPool averages feature maps over their cells in either layout and
// keeps feature vectors as they are.
func TestPool(t *testing.T) {
	for _, tt := range []struct {
		name          string
		t             onnx.Tensor
		channelsFirst bool
		want          []float32
	}{
		{"Vector", onnx.Tensor{Shape: []int64{1, 3}, Data: []float32{1, 2, 3}}, false, []float32{1, 2, 3}},
		// Two channels over 2 × 2 cells: channel 0 holds 1..4, channel 1 holds 10..40.
		{"ChannelsFirst", onnx.Tensor{Shape: []int64{1, 2, 2, 2}, Data: []float32{1, 2, 3, 4, 10, 20, 30, 40}}, true, []float32{2.5, 25}},
		{"ChannelsLast", onnx.Tensor{Shape: []int64{1, 2, 2, 2}, Data: []float32{1, 10, 2, 20, 3, 30, 4, 40}}, false, []float32{2.5, 25}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pool(tt.t, tt.channelsFirst)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("pool = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	for _, shape := range [][]int64{{2, 3}, {1, 2, 3}, {2, 1, 1, 1}} {
		if _, err := pool(onnx.Tensor{Shape: shape, Data: make([]float32, 6)}, false); err == nil {
			t.Errorf("pool accepted an output of shape %v", shape)
		}
	}
}

func TestUnit(t *testing.T) {
	if got := unit([]float32{3, 4}); !slices.Equal(got, []float32{0.6, 0.8}) {
		t.Errorf("unit(3, 4) = %v", got)
	}
	if got := unit([]float32{0, 0}); !slices.Equal(got, []float32{0, 0}) {
		t.Errorf("unit(0, 0) = %v", got)
	}
}
