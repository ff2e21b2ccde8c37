package auth

import (
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// The checksum of tokens already issued must not change: crc32IEEE is the
// package's CRC-32 on any string.
func TestCRC32IEEE(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		if got, want := crc32IEEE(string(b)), crc32.ChecksumIEEE(b); got != want {
			t.Fatalf("len %d: crc32IEEE = %08x, crc32.ChecksumIEEE = %08x", n, got, want)
		}
	}
}
