package main_test

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// png16 returns a w×h 16-bit RGBA PNG (color type 6, depth 16) of one
// colour, written a row at a time so that the test never holds its pixels:
// at 9200×9200 it compresses to under 1 MB and decodes to 8 bytes a pixel.
func png16(t *testing.T, w, h int) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 16, 6 // 16 bits, RGBA
	chunk("IHDR", ihdr)
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+8*w) // filter 0, then the pixels
	for i := 1; i < len(row); i += 8 {
		copy(row[i:], []byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x80, 0x00}) // half transparent: stays 16-bit RGBA
	}
	for y := 0; y < h; y++ {
		z.Write(row)
	}
	z.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// procMemory returns a process's peak and current resident set (VmHWM,
// VmRSS) in bytes.
func procMemory(t *testing.T, pid int) (peak, rss int64) {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			peak = n << 10
		case "VmRSS":
			rss = n << 10
		}
	}
	return peak, rss
}

// TestDecodeBudgetHoldsBigPNGs sends eight copies at once of a 9200×9200
// 16-bit RGBA PNG (85 MP, 8 bytes a pixel decoded: 677 MB each) to a
// `clavis serve` child with a soft memory limit of 1.5 GiB, which makes its
// decode budget 768 MiB: one image decodes at a time, the others wait, all
// eight are answered, and the server's peak resident memory stays within
// its idle peak plus the decode budget and a margin for the rest of the
// heap.
func TestDecodeBudgetHoldsBigPNGs(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 5.4 GB of pixels")
	}
	img := png16(t, 9200, 9200)
	if len(img) > 1<<20 {
		t.Fatalf("the PNG is %d bytes; want under 1 MB", len(img))
	}
	const budget = 768 << 20
	dir := filepath.Join(t.TempDir(), "data")
	p := startProc(t, clavisBinary(t), "--data-dir", dir, "--memory-limit", "1.5GiB", "--workers", "8")
	if l := p.log.with(`"decode_budget":` + strconv.Itoa(budget)); len(l) != 1 {
		t.Fatalf("no log line of the decode budget %d: %v", budget, p.log.with(`"msg":"memory"`))
	}
	pat, err := os.ReadFile(filepath.Join(dir, "bootstrap.pat"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := as(strings.TrimSpace(string(pat)))
	req := &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}, ModelId: "color-recognition",
		Inputs: []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Base64: img}}}}}
	// Warm up: one small prediction, so the idle peak includes what any
	// call allocates.
	small := &pb.PostModelOutputsRequest{UserAppId: req.UserAppId, ModelId: req.ModelId, Inputs: []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Base64: png16(t, 64, 64)}}}}}
	r, err := p.v2.PostModelOutputs(ctx, small)
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	idle, _ := procMemory(t, p.cmd.Process.Pid)

	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := p.v2.PostModelOutputs(ctx, req)
			if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS || len(r.GetOutputs()[0].GetData().GetColors()) == 0 {
				t.Errorf("copy %d: %v, %v", i, r.GetStatus(), err)
			}
		}()
	}
	wg.Wait()
	peak, rss := procMemory(t, p.cmd.Process.Pid)
	t.Logf("server VmHWM idle %d MiB, after eight copies %d MiB (VmRSS now %d MiB); decode budget %d MiB",
		idle>>20, peak>>20, rss>>20, budget>>20)
	if margin := int64(256 << 20); peak-idle > budget+margin {
		t.Fatalf("peak resident memory rose by %d MiB; want at most the decode budget %d MiB + %d MiB", (peak-idle)>>20, budget>>20, margin>>20)
	}
}
