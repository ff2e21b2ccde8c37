package main

import (
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/clavis-dev/clavis/internal/inference"
)

// MemoryConfig bounds the server's Go heap and the images it decodes.
// docs/operations.md ("Memory") says how they sit beside ONNX Runtime's
// own memory.
type MemoryConfig struct {
	// Limit is the soft memory limit of the Go runtime
	// (runtime/debug.SetMemoryLimit): bytes ("2147483648", "1.5GiB",
	// "800MB"), a fraction of the container's memory limit ("0.75", read
	// from /sys/fs/cgroup/memory.max, or memory.limit_in_bytes on cgroup
	// v1), or "off". A fraction with no container limit sets nothing, and
	// leaves GOMEMLIMIT in force (CLAVIS_MEMORY_LIMIT).
	Limit string
	// DecodeBudget bounds the bytes of images being decoded at once, each
	// with every copy made of it; 0 means 1 GiB, or half the memory limit
	// when that is less (CLAVIS_DECODE_BUDGET).
	DecodeBudget int64
}

func defaultMemoryConfig() MemoryConfig { return MemoryConfig{Limit: "0.9"} }

// bindFlags registers the flags of c on fs, with defaults taken from c.
func (c *MemoryConfig) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Limit, "memory-limit", c.Limit, "soft limit of the Go heap: bytes (1.5GiB, 800MB), a fraction of the container's memory limit (0.9), or off (env CLAVIS_MEMORY_LIMIT)")
	fs.Int64Var(&c.DecodeBudget, "decode-budget", c.DecodeBudget, "bytes of images decoded at once, with their copies; 0 = 1 GiB or half the memory limit, whichever is less (env CLAVIS_DECODE_BUDGET)")
}

// fromEnv overrides c with the CLAVIS_* variables that are set.
func (c *MemoryConfig) fromEnv(getenv func(string) string) error {
	if v := getenv("CLAVIS_MEMORY_LIMIT"); v != "" {
		c.Limit = v
	}
	if v := getenv("CLAVIS_DECODE_BUDGET"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("CLAVIS_DECODE_BUDGET: %w", err)
		}
		c.DecodeBudget = n
	}
	return nil
}

// cgroupFiles are where the container's memory limit is read, cgroup v2
// first.
var cgroupFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// containerLimit returns the memory limit of the cgroup the process runs
// in, or 0 when there is none.
func containerLimit() int64 {
	for _, f := range cgroupFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(b))
		n, err := strconv.ParseInt(v, 10, 64)
		if v == "max" || err != nil || n <= 0 || n >= 1<<62 { // v1 says "no limit" with a huge number
			return 0
		}
		return n
	}
	return 0
}

// limitBytes resolves Limit against the container's limit: the bytes of
// the soft limit, or 0 for none. It fails on a value it cannot read.
func (c *MemoryConfig) limitBytes(container int64) (int64, error) {
	v := strings.TrimSpace(c.Limit)
	if v == "" || strings.EqualFold(v, "off") || v == "0" {
		return 0, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f <= 1 {
		return int64(f * float64(container)), nil
	}
	n, err := parseBytes(v)
	if err != nil {
		return 0, fmt.Errorf("--memory-limit %q: give bytes (1.5GiB, 800MB, 2147483648), a fraction of the container's limit (0.9), or off", c.Limit)
	}
	return n, nil
}

// parseBytes reads a number of bytes with an optional unit: B, KB, MB, GB
// (powers of 1000), KiB, MiB, GiB (powers of 1024).
func parseBytes(v string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f*mult > math.MaxInt64 {
		return 0, fmt.Errorf("not a positive size: %q", v)
	}
	return int64(f * mult), nil
}

// validate refuses a limit it cannot read and a negative budget.
func (c *MemoryConfig) validate() error {
	if _, err := c.limitBytes(containerLimit()); err != nil {
		return err
	}
	if c.DecodeBudget < 0 {
		return fmt.Errorf("--decode-budget must be 0 (automatic) or more")
	}
	return nil
}

// apply sets the soft memory limit, logs it, and returns the decode
// budget.
func (c *MemoryConfig) apply(log *slog.Logger) int64 {
	container := containerLimit()
	limit, _ := c.limitBytes(container) // validate has read it
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	budget := c.DecodeBudget
	if budget == 0 {
		budget = inference.DefaultDecodeBudget
		if limit > 0 && limit/2 < budget {
			budget = limit / 2
		}
	}
	effective := debug.SetMemoryLimit(-1)
	attrs := []any{"decode_budget", budget, "container_limit", container}
	if effective == math.MaxInt64 {
		attrs = append(attrs, "memory_limit", "none")
	} else {
		attrs = append(attrs, "memory_limit", effective)
	}
	log.Info("memory", attrs...)
	return budget
}
