package fetch

import (
	"bytes"
	"encoding/binary"
)

// sniffLen is how many leading bytes isImage looks at.
const sniffLen = 18

// isImage reports whether b, the first bytes of a body, starts like one of
// the image formats Clavis decodes: JPEG, PNG, GIF, WebP or BMP.
func isImage(b []byte) bool {
	switch {
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return true
	case len(b) >= 12 && bytes.HasPrefix(b, []byte("RIFF")) && string(b[8:12]) == "WEBP":
		return true
	case len(b) >= 18 && bytes.HasPrefix(b, []byte("BM")):
		// "BM" alone is too weak a sign; the size of the DIB header that
		// follows the 14-byte file header must be one that exists.
		switch binary.LittleEndian.Uint32(b[14:18]) {
		case 12, 16, 40, 52, 56, 64, 108, 124:
			return true
		}
	}
	return false
}
