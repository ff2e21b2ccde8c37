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
// only. A file is written whole to a temporary name and renamed into place
// once its content is durable, so a blob is either absent or complete, and
// durable once PutBlobs returns (see PutBlobs for how the syncs are shared).
// One process uses a Dir at a time.
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

// groupSyncMin is the number of new files from which PutBlobs syncs the
// file system once (syncfs) instead of each file and directory: on ext4,
// 128 new files take about 25 ms that way against 200 ms or more synced one
// by one. Below it, the per-file syncs touch nothing else on the file
// system.
const groupSyncMin = 8

// put is one file PutBlobs writes.
type put struct {
	dir, path string
	data      []byte
}

// PutBlobs writes the files of keys that are not there, each to a temporary
// name renamed into place once its content is durable, and returns once the
// names are durable too. A few files are synced one by one and each
// directory that received one once; a batch of groupSyncMin or more is
// written whole, made durable with one file-system sync, renamed, and
// synced again, so that a name never points at content that could be lost.
func (d *Dir) PutBlobs(ctx context.Context, keys []clavis.BlobKey, data [][]byte) error {
	if len(keys) != len(data) {
		return clavis.Internal(fmt.Errorf("%d blob keys for %d contents", len(keys), len(data)))
	}
	var puts []put
	seen := map[string]bool{}
	var dirs []string
	for i, key := range keys {
		path, err := d.path(key)
		if err != nil {
			return err
		}
		if seen[path] {
			continue // the same blob twice
		}
		seen[path] = true
		if _, err := os.Stat(path); err == nil {
			continue
		}
		dir := filepath.Dir(path)
		if !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
		puts = append(puts, put{dir, path, data[i]})
	}
	if len(puts) == 0 {
		return nil
	}
	grouped := len(puts) >= groupSyncMin && canSyncFS
	syncNew := syncDir // a new directory's entry in its parent
	if grouped {
		syncNew = nil // the file-system syncs cover it
	}
	for _, dir := range dirs {
		if err := mkdirs(d.root, dir, syncNew); err != nil {
			return writeFailed(err)
		}
	}
	var err error
	if grouped {
		err = d.putGrouped(puts)
	} else {
		err = putEach(puts, dirs)
	}
	if err != nil {
		return writeFailed(err)
	}
	return nil
}

// putEach writes and syncs each file, then syncs each directory once.
func putEach(puts []put, dirs []string) error {
	if err := parallel(len(puts), func(i int) error { return writeFile(puts[i]) }); err != nil {
		return err
	}
	return parallel(len(dirs), func(i int) error { return syncDir(dirs[i]) })
}

// putGrouped writes every temporary file, syncs the file system, renames
// them into place and syncs it again.
func (d *Dir) putGrouped(puts []put) error {
	tmps := make([]string, len(puts))
	err := parallel(len(puts), func(i int) (err error) {
		tmps[i], err = writeTemp(puts[i], false)
		return err
	})
	if err == nil {
		err = syncFS(d.root)
	}
	for i, p := range puts {
		if tmps[i] == "" {
			continue
		}
		if err == nil {
			err = os.Rename(tmps[i], p.path)
		}
		if err != nil {
			os.Remove(tmps[i])
		}
	}
	if err != nil {
		return err
	}
	return syncFS(d.root)
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

// mkdirs creates the directories from root down to dir and, unless sync
// is nil, syncs the parent of each it creates so that the new entry
// survives a crash.
func mkdirs(root, dir string, sync func(dir string) error) error {
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
		case sync != nil:
			if err := sync(cur); err != nil {
				return err
			}
		}
		cur = next
	}
	return nil
}

// writeFile writes p's content to a synced temporary file in its
// directory and renames it into place; syncing the directory is the
// caller's.
func writeFile(p put) error {
	tmp, err := writeTemp(p, true)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, p.path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeTemp writes p's content to a new temporary file in its directory,
// synced if sync is true, and returns its name; on error it leaves none.
func writeTemp(p put, sync bool) (string, error) {
	f, err := os.CreateTemp(p.dir, tempPrefix+"*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(p.data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
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
