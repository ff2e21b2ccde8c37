//go:build !linux

package blobdir

import "errors"

// canSyncFS is false where syncfs(2) does not exist: PutBlobs syncs each
// file and directory instead.
const canSyncFS = false

func syncFS(string) error { return errors.New("syncfs is only available on Linux") }
