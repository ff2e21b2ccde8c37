package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

var (
	initMu   sync.Mutex
	initPath string // absolute path of the library loaded, once Init succeeded
)

// Init loads the ONNX Runtime shared library at libPath and creates the
// process-wide runtime environment. It must succeed before NewSession.
//
// Init is idempotent: once it has succeeded, later calls with the same path
// return nil, and calls naming another library return an error (a process
// holds one runtime). A failed Init may be retried. If libPath does not
// exist, the error names it and says that `clavis setup` installs it. Init
// is safe for concurrent use.
func Init(libPath string) error {
	abs, err := filepath.Abs(libPath)
	if err != nil {
		return fmt.Errorf("onnx: runtime library %s: %w", libPath, err)
	}
	initMu.Lock()
	defer initMu.Unlock()
	if initPath != "" {
		if initPath != abs {
			return fmt.Errorf("onnx: runtime already loaded from %s; cannot also load %s", initPath, abs)
		}
		return nil
	}
	fi, err := os.Stat(abs)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("onnx: runtime library %s is missing; run `clavis setup` to install it", abs)
	}
	if err != nil {
		return fmt.Errorf("onnx: runtime library %s: %w", abs, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("onnx: runtime library %s is not a regular file; run `clavis setup` to install it", abs)
	}
	ort.SetSharedLibraryPath(abs)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("onnx: loading runtime library %s (run `clavis setup` to reinstall it): %w", abs, err)
	}
	initPath = abs
	return nil
}

// Initialized reports whether Init has succeeded in this process.
func Initialized() bool {
	initMu.Lock()
	defer initMu.Unlock()
	return initPath != ""
}

// Version returns the version of the loaded ONNX Runtime, or "" before Init.
func Version() string {
	if !Initialized() {
		return ""
	}
	return ort.GetVersion()
}
