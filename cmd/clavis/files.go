package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The modes of everything Clavis creates for itself, whatever the umask:
// the database, the bootstrap PAT, TLS keys and certificates and the saved
// login are readable by their owner only.
const (
	privateDir  os.FileMode = 0o700
	privateFile os.FileMode = 0o600
)

// mkdirPrivate creates dir and its missing parents with mode privateDir.
// Directories that exist keep their mode: the operator chose it.
func mkdirPrivate(dir string) error { return os.MkdirAll(dir, privateDir) }

// writePrivate replaces the file at path with data, atomically, in mode
// privateFile. It writes a new file and renames it over path, so that a
// file that was there before with a wider mode does not keep it, and a
// reader never sees half the data.
func writePrivate(path string, data []byte) error {
	if err := mkdirPrivate(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	// CreateTemp makes the file 0600 already; Chmod says so whatever the
	// platform's default.
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(privateFile)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// checkWritable makes sure the server can write in dir, its data dir, by
// creating a file there and removing it; a read-only or full dir is an
// error that says so, rather than the database's own words later.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".clavis-write-check-*")
	if err == nil {
		name := f.Name()
		_, err = f.Write([]byte("ok"))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		os.Remove(name)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EROFS), errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("data dir %s is read-only (%v): clavis serve writes its database, images and bootstrap PAT there; make it writable, or choose another --data-dir", dir, err)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("data dir %s is full (%v): free space on its disk before starting clavis serve", dir, err)
	}
	return fmt.Errorf("data dir %s cannot be written: %w", dir, err)
}
