package inference

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // registers GIF
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp" // registers BMP
	_ "golang.org/x/image/webp"

	"github.com/clavis-dev/clavis/clavis"
)

// Image limits, as Clarifai documents them.
const (
	MaxImageBytes  = 20 << 20   // 20 MB per image
	MaxImagePixels = 85_000_000 // 85 megapixels per image
)

// imageConfig reads an image's dimensions from its header and checks them
// against the limits, before any pixel is decoded.
func imageConfig(data []byte) (image.Config, error) {
	cfg, _, err := imageHeader(data)
	return cfg, err
}

// imageHeader is imageConfig that also returns the format's name.
func imageHeader(data []byte) (image.Config, string, error) {
	if len(data) == 0 {
		return image.Config{}, "", clavis.Errorf(clavis.EInputInvalid, "the image is empty")
	}
	if len(data) > MaxImageBytes {
		return image.Config{}, "", clavis.Errorf(clavis.EInputTooLarge, "the image is %d bytes; the limit is %d", len(data), MaxImageBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return image.Config{}, "", &clavis.Error{Code: clavis.EInputBytes, Message: "the bytes are not a JPEG, PNG, GIF, WebP or BMP image", Cause: err}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return image.Config{}, "", clavis.Errorf(clavis.EInputBytes, "the %s image has no pixels", format)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > MaxImagePixels {
		return image.Config{}, "", clavis.Errorf(clavis.EInputTooLarge, "the image is %dx%d (%d pixels); the limit is %d pixels", cfg.Width, cfg.Height, px, MaxImagePixels)
	}
	return cfg, format, nil
}

// decodeImage decodes data, whose header imageConfig has accepted.
func decodeImage(data []byte) (img image.Image, err error) {
	defer func() {
		// Decoders of untrusted data must not take the server down.
		if r := recover(); r != nil {
			img, err = nil, &clavis.Error{Code: clavis.EInputBytes, Message: "the image could not be decoded", Cause: fmt.Errorf("decoder panic: %v", r)}
		}
	}()
	img, _, err = image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, &clavis.Error{Code: clavis.EInputBytes, Message: "the image data is corrupt or truncated", Cause: err}
	}
	return img, nil
}

// ImageSize returns the width and height in an image's header, for the
// formats predictions take, without decoding its pixels.
func ImageSize(data []byte) (width, height int, err error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, &clavis.Error{Code: clavis.EInputBytes, Message: "the bytes are not a JPEG, PNG, GIF, WebP or BMP image", Cause: err}
	}
	return cfg.Width, cfg.Height, nil
}
