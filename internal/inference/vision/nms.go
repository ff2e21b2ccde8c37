package vision

import (
	"sort"

	"github.com/clavis-dev/clavis/clavis"
)

// detection is one box found by a detector, in fractions of the image.
type detection struct {
	class int
	score float32
	box   clavis.BoundingBox
}

func clamp01(v float32) float32 { return min(max(v, 0), 1) }

func area(b clavis.BoundingBox) float32 {
	return max(b.Right-b.Left, 0) * max(b.Bottom-b.Top, 0)
}

// iou is the intersection over union of two boxes.
func iou(a, b clavis.BoundingBox) float32 {
	inter := area(clavis.BoundingBox{
		Top: max(a.Top, b.Top), Left: max(a.Left, b.Left),
		Bottom: min(a.Bottom, b.Bottom), Right: min(a.Right, b.Right),
	})
	union := area(a) + area(b) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// nms keeps, class by class, the highest-scoring detections and drops those
// overlapping a kept one of the same class by more than maxIoU; it returns
// at most limit detections, best first.
func nms(ds []detection, maxIoU float32, limit int) []detection {
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].score > ds[j].score })
	var kept []detection
	for _, d := range ds {
		ok := true
		for _, k := range kept {
			if k.class == d.class && iou(k.box, d.box) > maxIoU {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, d)
			if len(kept) == limit {
				break
			}
		}
	}
	return kept
}
