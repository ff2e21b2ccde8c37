package blobdir

import (
	"os"

	"golang.org/x/sys/unix"
)

// canSyncFS reports whether syncFS is one call for the whole file system.
const canSyncFS = true

// syncFS writes out every dirty page and the journal of the file system
// that holds dir (syncfs(2)). Since Linux 5.8 it reports the write-back
// errors that happened after dir was opened, which is here.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
