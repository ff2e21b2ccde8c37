package blobdir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// tempPrefix starts the names of files being written.
const tempPrefix = ".tmp-"

// Dir is a blob store in a directory: the content of key lives in
// <dir>/<space>/<first two hex digits>/<sha256>, readable by its owner
// only. A file is written whole to a temporary name, synced, renamed into
// place and its directory synced, so a blob is either absent or complete
// and durable once PutBlob returns. One process uses a Dir at a time.
type Dir struct {
	root string
}

var _ clavis.BlobStore = (*Dir)(nil)

// Open returns the blob store in root, creating the directory (mode 0700)
// if needed.
func Open(root string) (*Dir, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("blob dir: %w", err)
	}
	return &Dir{root: abs}, nil
}

// Root returns the directory of the store.
func (d *Dir) Root() string { return d.root }

var (
	spaceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	shaRE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// path returns the file of key, refusing keys that are not plain names.
func (d *Dir) path(key clavis.BlobKey) (string, error) {
	if !spaceRE.MatchString(key.Space) || !shaRE.MatchString(key.SHA256) {
		return "", clavis.Internal(fmt.Errorf("malformed blob key %q/%q", key.Space, key.SHA256))
	}
	return filepath.Join(d.root, key.Space, key.SHA256[:2], key.SHA256), nil
}

// PutBlob writes data under key unless the file is there: content-addressed
// files never change.
func (d *Dir) PutBlob(ctx context.Context, key clavis.BlobKey, data []byte) error {
	return d.PutBlobs(ctx, []clavis.BlobKey{key}, [][]byte{data})
}

// putConcurrency bounds the files PutBlobs writes and syncs at once: the
// file system commits concurrent syncs together.
const putConcurrency = 32

// PutBlobs writes the files of keys that are not there: each to a temporary
// name, synced, renamed into place; then each directory that received one
// is synced once.
func (d *Dir) PutBlobs(ctx context.Context, keys []clavis.BlobKey, data [][]byte) error {
	if len(keys) != len(data) {
		return clavis.Internal(fmt.Errorf("%d blob keys for %d contents", len(keys), len(data)))
	}
	type put struct {
		dir, path string
		data      []byte
	}
	var puts []put
	dirs := map[string]bool{}
	var order []string
	for i, key := range keys {
		path, err := d.path(key)
		if err != nil {
			return err
		}
		if dirs[path] {
			continue // the same blob twice
		}
		dirs[path] = true
		if _, err := os.Stat(path); err == nil {
			continue
		}
		dir := filepath.Dir(path)
		if !dirs[dir] {
			dirs[dir] = true
			order = append(order, dir)
			if err := mkdirSynced(d.root, dir); err != nil {
				return writeFailed(err)
			}
		}
		puts = append(puts, put{dir, path, data[i]})
	}
	if err := parallel(len(puts), func(i int) error { return writeFile(puts[i].dir, puts[i].path, puts[i].data) }); err != nil {
		return writeFailed(err)
	}
	if err := parallel(len(order), func(i int) error { return syncDir(order[i]) }); err != nil {
		return writeFailed(err)
	}
	return nil
}

// parallel runs f(0) to f(n-1), putConcurrency at a time, and returns the
// first error.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, putConcurrency)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = f(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// writeFailed is the error of a write that failed: EStorage for a full
// or read-only disk, EInternal otherwise.
func writeFailed(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return clavis.StorageUnavailable(clavis.StorageFull, err)
	case errors.Is(err, syscall.EROFS):
		return clavis.StorageUnavailable(clavis.StorageReadOnly, err)
	}
	return clavis.Internal(err)
}

// mkdirSynced creates the directories from root down to dir, syncing the
// parent of each it creates so that the new entry survives a crash.
func mkdirSynced(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return err
	}
	cur := root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		next := filepath.Join(cur, part)
		err := os.Mkdir(next, 0o700)
		switch {
		case errors.Is(err, fs.ErrExist):
		case err != nil:
			return err
		default:
			if err := syncDir(cur); err != nil {
				return err
			}
		}
		cur = next
	}
	return nil
}

// writeFile writes data to a temporary file in dir, syncs it and renames it
// to path; syncing dir is the caller's.
func writeFile(dir, path string, data []byte) error {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	done = true
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// GetBlob reads the content of key.
func (d *Dir) GetBlob(ctx context.Context, key clavis.BlobKey) ([]byte, error) {
	path, err := d.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, clavis.Errorf(clavis.ENotFound, "blob %s is not stored", key.SHA256)
	}
	if err != nil {
		return nil, clavis.Internal(err)
	}
	return b, nil
}

// DeleteBlob removes the file of key. Directories stay: a writer may be
// about to use them, and DeleteSpace removes a space's.
func (d *Dir) DeleteBlob(ctx context.Context, key clavis.BlobKey) error {
	path, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return clavis.Internal(err)
	}
	return nil
}

// DeleteSpace removes the directory of a space.
func (d *Dir) DeleteSpace(ctx context.Context, space string) error {
	if !spaceRE.MatchString(space) {
		return clavis.Internal(fmt.Errorf("malformed blob space %q", space))
	}
	if err := os.RemoveAll(filepath.Join(d.root, space)); err != nil {
		return clavis.Internal(err)
	}
	return nil
}

// WalkBlobs calls fn for every stored blob; files being written are not
// blobs yet.
func (d *Dir) WalkBlobs(ctx context.Context, fn func(clavis.BlobKey) error) error {
	return d.walk(func(path string, key clavis.BlobKey, e fs.DirEntry) error {
		if strings.HasPrefix(e.Name(), tempPrefix) || !shaRE.MatchString(key.SHA256) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(key)
	})
}

// RemoveTemp removes the temporary files of writes that began before
// before and never finished (their writer died), and returns how many.
func (d *Dir) RemoveTemp(before time.Time) (int, error) {
	n := 0
	err := d.walk(func(path string, _ clavis.BlobKey, e fs.DirEntry) error {
		if !strings.HasPrefix(e.Name(), tempPrefix) {
			return nil
		}
		if info, err := e.Info(); err != nil || !info.ModTime().Before(before) {
			return nil
		}
		if err := os.Remove(path); err == nil {
			n++
		}
		return nil
	})
	return n, err
}

// walk calls fn for every file two levels below a space directory.
func (d *Dir) walk(fn func(path string, key clavis.BlobKey, e fs.DirEntry) error) error {
	spaces, err := os.ReadDir(d.root)
	if err != nil {
		return clavis.Internal(err)
	}
	for _, sp := range spaces {
		if !sp.IsDir() {
			continue
		}
		subs, err := os.ReadDir(filepath.Join(d.root, sp.Name()))
		if err != nil {
			continue // removed meanwhile
		}
		for _, sub := range subs {
			if !sub.IsDir() {
				continue
			}
			dir := filepath.Join(d.root, sp.Name(), sub.Name())
			files, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, f := range files {
				if f.IsDir() {
					continue
				}
				if err := fn(filepath.Join(dir, f.Name()), clavis.BlobKey{Space: sp.Name(), SHA256: f.Name()}, f); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
