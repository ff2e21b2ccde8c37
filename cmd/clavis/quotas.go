package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/clavis-dev/clavis/internal/service"
)

// QuotasConfig bounds what one user owns. docs/configuration.md
// ("Quotas") gives the defaults; a create past a quota is refused with
// 11006 CONN_EXCEEDS_LIMITS, naming it.
type QuotasConfig struct {
	// MaxAppsPerUser bounds the apps one user owns; 0 means no bound
	// (CLAVIS_USER_MAX_APPS).
	MaxAppsPerUser int
	// MaxKeysPerUser bounds the keys (PATs and app keys, expired or not)
	// one user holds; 0 means no bound (CLAVIS_USER_MAX_KEYS).
	MaxKeysPerUser int
}

func defaultQuotasConfig() QuotasConfig {
	return QuotasConfig{MaxAppsPerUser: 1000, MaxKeysPerUser: 1000}
}

// quotaSetting is one field of QuotasConfig with its flag and variable.
type quotaSetting struct {
	flag, env, usage string
	dst              *int
}

func (c *QuotasConfig) settings() []quotaSetting {
	return []quotaSetting{
		{"user-max-apps", "CLAVIS_USER_MAX_APPS", "apps one user may own; 0 = no bound", &c.MaxAppsPerUser},
		{"user-max-keys", "CLAVIS_USER_MAX_KEYS", "keys (PATs and app keys) one user may hold; 0 = no bound", &c.MaxKeysPerUser},
	}
}

// bindFlags registers the flags of c on fs, with defaults taken from c.
func (c *QuotasConfig) bindFlags(fs *flag.FlagSet) {
	for _, s := range c.settings() {
		fs.IntVar(s.dst, s.flag, *s.dst, fmt.Sprintf("%s (env %s)", s.usage, s.env))
	}
}

// fromEnv overrides c with the CLAVIS_* variables that are set.
func (c *QuotasConfig) fromEnv(getenv func(string) string) error {
	for _, s := range c.settings() {
		if v := getenv(s.env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s: %w", s.env, err)
			}
			*s.dst = n
		}
	}
	return nil
}

// validate refuses negative quotas.
func (c *QuotasConfig) validate() error {
	for _, s := range c.settings() {
		if *s.dst < 0 {
			return fmt.Errorf("--%s must be 0 (no bound) or more", s.flag)
		}
	}
	return nil
}

func (c *QuotasConfig) quotas() service.Quotas {
	return service.Quotas{MaxApps: c.MaxAppsPerUser, MaxKeys: c.MaxKeysPerUser}
}
