package blobdir_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/blobdir"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
	"github.com/clavis-dev/clavis/internal/store/storetest"
)

func open(t *testing.T) (*blobdir.Dir, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "blobs")
	d, err := blobdir.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	return d, root
}

func TestConformance(t *testing.T) {
	storetest.RunBlobs(t, func(t *testing.T) (clavis.Store, clavis.BlobStore) {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "clavis.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		d, _ := open(t)
		return db, d
	})
}

func key(content string) clavis.BlobKey {
	h := sha256.Sum256([]byte(content))
	return clavis.BlobKey{Space: "0123abcd", SHA256: hex.EncodeToString(h[:])}
}

// TestLayout checks where a blob's file goes and that only its owner may
// read it.
func TestLayout(t *testing.T) {
	d, root := open(t)
	k := key("hello")
	if err := d.PutBlob(context.Background(), k, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, k.Space, k.SHA256[:2], k.SHA256)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("blob file mode %v, want 0600", fi.Mode().Perm())
	}
	for _, dir := range []string{root, filepath.Join(root, k.Space), filepath.Dir(path)} {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s mode %v, want 0700", dir, fi.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files beside the blob: a temporary file was left", len(entries)-1)
	}
}

// TestBadKeys refuses keys that would leave the directory.
func TestBadKeys(t *testing.T) {
	d, _ := open(t)
	for _, k := range []clavis.BlobKey{
		{Space: "..", SHA256: key("x").SHA256},
		{Space: "ok", SHA256: "../../etc/passwd"},
		{Space: "a/b", SHA256: key("x").SHA256},
		{Space: "ok", SHA256: strings.ToUpper(key("x").SHA256)},
	} {
		if err := d.PutBlob(context.Background(), k, []byte("x")); err == nil {
			t.Errorf("PutBlob(%+v) accepted", k)
		}
		if _, err := d.GetBlob(context.Background(), k); clavis.ErrorCode(err) != clavis.EInternal {
			t.Errorf("GetBlob(%+v) = %v, want an internal error", k, err)
		}
	}
	if err := d.DeleteSpace(context.Background(), "../x"); err == nil {
		t.Error("DeleteSpace(../x) accepted")
	}
}

// TestRemoveTemp removes the temporary files of writes that never finished,
// once they are old enough, and no blob; WalkBlobs does not list them.
func TestRemoveTemp(t *testing.T) {
	d, root := open(t)
	k := key("kept")
	ctx := context.Background()
	if err := d.PutBlob(ctx, k, []byte("kept")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, k.Space, k.SHA256[:2])
	stale := filepath.Join(dir, ".tmp-123")
	if err := os.WriteFile(stale, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	var walked int
	if err := d.WalkBlobs(ctx, func(clavis.BlobKey) error { walked++; return nil }); err != nil || walked != 1 {
		t.Fatalf("WalkBlobs saw %d blobs (%v), want 1", walked, err)
	}
	if n, err := d.RemoveTemp(time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("RemoveTemp of a young file = %d %v", n, err)
	}
	if n, err := d.RemoveTemp(time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("RemoveTemp = %d %v, want 1", n, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("the temporary file is still there")
	}
	if _, err := d.GetBlob(ctx, k); err != nil {
		t.Fatalf("RemoveTemp took a blob: %v", err)
	}
	var files int
	filepath.WalkDir(root, func(_ string, e fs.DirEntry, _ error) error {
		if e != nil && !e.IsDir() {
			files++
		}
		return nil
	})
	if files != 1 {
		t.Fatalf("%d files left, want the blob", files)
	}
}

// TestPutBlobsBatch writes batches below and above the size from which the
// file system is synced once for the batch: every blob reads back whole,
// with its mode, a blob already there and one given twice are written once,
// and no temporary file is left.
func TestPutBlobsBatch(t *testing.T) {
	for _, n := range []int{3, 40} {
		d, root := open(t)
		ctx := context.Background()
		old := key("old")
		if err := d.PutBlob(ctx, old, []byte("old")); err != nil {
			t.Fatal(err)
		}
		keys := []clavis.BlobKey{old}
		data := [][]byte{[]byte("old")}
		for i := range n {
			c := strings.Repeat(string(rune('a'+i%26)), i+1)
			keys, data = append(keys, key(c), key(c)), append(data, []byte(c), []byte(c))
		}
		if err := d.PutBlobs(ctx, keys, data); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		for i, k := range keys {
			got, err := d.GetBlob(ctx, k)
			if err != nil || string(got) != string(data[i]) {
				t.Fatalf("n=%d: blob %d = %q, %v; want %q", n, i, got, err, data[i])
			}
		}
		files := 0
		filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			files++
			if strings.HasPrefix(e.Name(), ".tmp-") {
				t.Errorf("n=%d: temporary file %s left", n, path)
			}
			if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 {
				t.Errorf("n=%d: %s mode %v, want 0600", n, path, fi.Mode().Perm())
			}
			return nil
		})
		if files != n+1 {
			t.Errorf("n=%d: %d files, want %d", n, files, n+1)
		}
	}
}

// TestPutBlobsFails reports a batch of which one blob cannot be written,
// on both write paths, and leaves no temporary file. The blobs that were
// written stay whole: their reservations, not the blob store, free them.
func TestPutBlobsFails(t *testing.T) {
	for _, n := range []int{2, 20} {
		d, root := open(t)
		ctx := context.Background()
		var keys []clavis.BlobKey
		var data [][]byte
		for i := range n {
			c := strings.Repeat("x", i+1)
			keys, data = append(keys, key(c)), append(data, []byte(c))
		}
		// The last blob's directory is a file: it cannot be created.
		last := keys[n-1]
		if err := os.MkdirAll(filepath.Join(root, last.Space), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, last.Space, last.SHA256[:2]), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := d.PutBlobs(ctx, keys, data); err == nil {
			t.Fatalf("n=%d: PutBlobs into a file succeeded", n)
		}
		if got, err := d.GetBlob(ctx, last); err == nil {
			t.Errorf("n=%d: the blob that failed reads %q", n, got)
		}
		for i, k := range keys[:n-1] {
			if got, err := d.GetBlob(ctx, k); err == nil && string(got) != string(data[i]) {
				t.Errorf("n=%d: blob %d reads %q, want %q or nothing", n, i, got, data[i])
			}
		}
		filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err == nil && strings.HasPrefix(e.Name(), ".tmp-") {
				t.Errorf("n=%d: temporary file %s left", n, path)
			}
			return err
		})
	}
}
