package inference

import (
	"image"
	"image/color"
)

// DefaultDecodeBudget is the default bound on the bytes of images being
// decoded at once: 1 GiB, which holds the costliest image accepted but
// one (85 MP of 16-bit RGBA, 8 bytes a pixel, with a model's 4-byte RGBA
// copy) on its own. See decodeCost.
const DefaultDecodeBudget = 1 << 30

// ImageCopier is implemented by runners that copy a decoded image whole
// before they read it (the OCR model makes an opaque RGBA copy): the
// engine counts the copy's bytes against the decode budget. Runners that
// read the decoded image in place need not implement it.
type ImageCopier interface {
	// CopyBytesPerPixel returns the bytes per pixel of the copy.
	CopyBytesPerPixel() int
}

// decodedBytesPerPixel returns the bytes per pixel of the image the
// standard decoders make for an image of the color model: 8 for 16-bit
// RGBA PNGs (NRGBA64), 3 for JPEG's YCbCr at worst (4:4:4), 1 for
// paletted or 8-bit gray. Unknown models count as 8.
func decodedBytesPerPixel(m color.Model) int64 {
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		return 4
	default: // RGBA64, NRGBA64 and anything unknown
		return 8
	}
}

// decodeCost returns the bytes that decoding data, whose header cfg is,
// takes at its peak, counting every copy: the decoded image; for an
// interlaced PNG the passes, decoded apart before they are merged; for a
// progressive JPEG the coefficients the decoder keeps (2 bytes for each
// of 64 per 8×8 block and component, at 4:4:4, three components at
// most); and copyBPP bytes per pixel of the runner's own copy.
func decodeCost(data []byte, cfg image.Config, format string, copyBPP int) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	bpp := decodedBytesPerPixel(cfg.ColorModel)
	cost := px * (bpp + int64(copyBPP))
	switch {
	case format == "png" && pngInterlaced(data):
		cost += px * bpp
	case format == "jpeg" && jpegProgressive(data):
		cost += px * 2 * 3
	}
	return cost
}

// pngInterlaced reports whether a PNG's IHDR says Adam7 interlacing: the
// last byte of its 13, after the 8-byte signature and the chunk's length
// and type.
func pngInterlaced(data []byte) bool {
	return len(data) > 28 && string(data[12:16]) == "IHDR" && data[28] == 1
}

// jpegProgressive reports whether a JPEG's frame header is progressive
// (SOF2, or SOF6, SOF10, SOF14), walking the marker segments to the first
// frame or scan.
func jpegProgressive(data []byte) bool {
	i := 2 // past SOI
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return false
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01:
			i += 2
			continue
		case m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE:
			return true
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC, m == 0xDA:
			return false // another frame type, or a scan before any frame
		}
		i += 2 + (int(data[i+2])<<8 | int(data[i+3]))
	}
	return false
}
