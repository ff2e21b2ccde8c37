package inference

import (
	"image"
	"testing"
)

// FuzzDecodeImage runs the decode path on arbitrary bytes: the header
// check, the decode cost, and, for images whose cost is small, the decoder.
// Nothing may panic, and a decoded image must lie within the size its
// header said, which the decode budget counts (a GIF's first frame may be
// smaller than its logical screen).
func FuzzDecodeImage(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, format, err := imageHeader(data)
		if err != nil {
			return
		}
		cost := decodeCost(data, cfg, format, 4)
		if cost <= 0 {
			t.Fatalf("%s %dx%d: cost %d", format, cfg.Width, cfg.Height, cost)
		}
		if cost > 64<<20 {
			return // a fuzzer's worker has no room for it; the budget refuses it in the server
		}
		img, err := decodeImage(data)
		if err != nil {
			return
		}
		if b := img.Bounds(); b.Dx() > cfg.Width || b.Dy() > cfg.Height || (format != "gif" && !b.Eq(image.Rect(0, 0, cfg.Width, cfg.Height))) {
			t.Fatalf("%s header says %dx%d, decoded %v", format, cfg.Width, cfg.Height, b)
		}
	})
}
