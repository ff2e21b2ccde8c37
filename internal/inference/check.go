package inference

import (
	"bytes"
	"image"

	"github.com/clavis-dev/clavis/clavis"
)

// CheckImage reads an image's format and dimensions from its header and
// checks them against the limits predictions apply, decoding no pixel: the
// check of an image that is stored. It returns EInputInvalid for no bytes,
// EInputTooLarge over MaxImageBytes or MaxImagePixels, and EInputBytes for
// bytes that are not an image of a known format.
func CheckImage(data []byte) (clavis.ImageInfo, error) {
	cfg, err := imageConfig(data)
	if err != nil {
		return clavis.ImageInfo{}, err
	}
	// imageConfig has read the header once already: this cannot fail.
	_, format, _ := image.DecodeConfig(bytes.NewReader(data))
	return clavis.ImageInfo{Width: cfg.Width, Height: cfg.Height, Format: format}, nil
}
