package main

import (
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/service"
)

// Config is the server's configuration. DefaultConfig gives the defaults;
// flags of `clavis serve` and CLAVIS_* environment variables fill it.
type Config struct {
	// Addr is the address to listen on for gRPC and REST (CLAVIS_ADDR).
	Addr string
	// DataDir holds the database, the bootstrap PAT and, by default, the
	// models (CLAVIS_DATA_DIR).
	DataDir string
	// DB selects the database: empty means SQLite in <DataDir>/clavis.db; a
	// postgres:// URL means that PostgreSQL database, which several
	// replicas may share (CLAVIS_DB).
	DB string
	// ModelsDir holds the ONNX Runtime library and model files that
	// `clavis setup` fetches; empty means <DataDir>/models (CLAVIS_MODELS_DIR).
	ModelsDir string
	// BootstrapUser is the id of the admin created on first start
	// (CLAVIS_BOOTSTRAP_USER).
	BootstrapUser string
	// FetchAllow lists hosts, host:port pairs and CIDRs that image URLs may
	// reach although the address or port rules would refuse them
	// (--fetch-allow, repeatable; CLAVIS_FETCH_ALLOW, comma-separated).
	FetchAllow []string
	// AuthCacheTTL bounds how long a verified token, or a caller's grant on
	// an app, is trusted without a store lookup (CLAVIS_AUTH_CACHE_TTL).
	AuthCacheTTL time.Duration
	// AuditRetention is how long audit log entries are kept; 0 keeps them
	// forever (CLAVIS_AUDIT_RETENTION).
	AuditRetention time.Duration
	// Audit records the audit log (default true; CLAVIS_AUDIT). Off, no
	// entry is written: for measuring its cost, or where another system
	// audits.
	Audit bool
	// PATMaxLifetime and AppKeyMaxLifetime bound how long new keys of each
	// type may live; 0 means no bound (CLAVIS_PAT_MAX_LIFETIME,
	// CLAVIS_APP_KEY_MAX_LIFETIME). A bound also requires an expiry.
	PATMaxLifetime, AppKeyMaxLifetime time.Duration
	// PATExpiryRequired and AppKeyExpiryRequired refuse new keys that
	// never expire (CLAVIS_PAT_EXPIRY_REQUIRED, CLAVIS_APP_KEY_EXPIRY_REQUIRED).
	PATExpiryRequired, AppKeyExpiryRequired bool
	// Workers bounds concurrent predictions; 0 = number of CPUs
	// (CLAVIS_WORKERS).
	Workers int
	// LogFormat is "text" or "json" (CLAVIS_LOG_FORMAT).
	LogFormat string
	// Metrics serves Prometheus metrics at /metrics on the API ports
	// (CLAVIS_METRICS).
	Metrics bool
	// DebugAddr, when set, is an address where net/http/pprof serves the
	// profiler, apart from the API ports; bind it to loopback
	// (CLAVIS_DEBUG_ADDR).
	DebugAddr string
	// TLSAddr, when set, is a second address that serves the same gRPC and
	// REST over TLS (CLAVIS_TLS_ADDR).
	TLSAddr string
	// TLSCert and TLSKey are PEM files of the TLS certificate and key
	// (CLAVIS_TLS_CERT, CLAVIS_TLS_KEY).
	TLSCert, TLSKey string
	// TLSSelfSigned makes and uses a self-signed certificate for localhost,
	// kept in <data-dir>/tls (CLAVIS_TLS_SELF_SIGNED=1).
	TLSSelfSigned bool
	// TokenPepper, when set, makes stored token digests HMAC-SHA-256 keyed
	// with it. Only from the environment (CLAVIS_TOKEN_PEPPER), never a flag,
	// so it does not show in process lists. Changing it invalidates every
	// token.
	TokenPepper string
	// Limits bounds connections, their timeouts, streams and headers.
	Limits Limits
	// Inputs bounds what apps store and the background work on inputs.
	Inputs InputsConfig
	// Quotas bounds the apps and keys of each user.
	Quotas QuotasConfig
	// Memory sets the soft memory limit and the decode budget.
	Memory MemoryConfig
	// Now is the server's clock, which decides when keys expire; nil means
	// time.Now. Only tests set it: no flag or variable does.
	Now func() time.Time
	// CORSOrigins lists the origins whose web pages may call the API (REST
	// and gRPC-Web) from a browser (--cors-origin, repeatable;
	// CLAVIS_CORS_ORIGIN, comma-separated); none by default.
	CORSOrigins []string
	// Redis, when set, is the redis:// URL of the Redis server that holds
	// the keys' rate limit counters, shared by every replica (--redis,
	// CLAVIS_REDIS). Unset, they are in the PostgreSQL database, or in
	// memory on the embedded store.
	Redis string
	// TrustedProxies lists the reverse proxies (CIDRs or addresses) whose
	// X-Forwarded-For, or x-forwarded-for gRPC metadata, names the client's
	// address (--trusted-proxies, repeatable; CLAVIS_TRUSTED_PROXIES,
	// comma-separated); none by default, and the header is ignored.
	TrustedProxies []string
	// Signup opens the portal's sign-up page to visitors (--signup,
	// CLAVIS_SIGNUP). Nil means open when every listener is on a loopback
	// address and closed otherwise; admins can always create users.
	Signup *bool
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Addr:           "127.0.0.1:18080",
		DataDir:        "./clavis-data",
		BootstrapUser:  "admin",
		AuthCacheTTL:   auth.DefaultCacheTTL,
		AuditRetention: service.DefaultAuditRetention,
		Audit:          true,
		LogFormat:      "text",
		Metrics:        true,
		Limits:         defaultLimits(),
		Inputs:         defaultInputsConfig(),
		Quotas:         defaultQuotasConfig(),
		Memory:         defaultMemoryConfig(),
	}
}

// listFlag is a repeatable flag collecting its values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, splitList(v)...)
	return nil
}

// boolPtrFlag is a boolean flag whose absence leaves a nil pointer.
type boolPtrFlag struct{ p **bool }

func (f boolPtrFlag) String() string {
	if f.p == nil || *f.p == nil {
		return "auto"
	}
	return strconv.FormatBool(**f.p)
}

func (f boolPtrFlag) Set(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return err
	}
	*f.p = &b
	return nil
}

func (f boolPtrFlag) IsBoolFlag() bool { return true }

// Type names the flag's value in help: a boolean, or "auto" when unset.
func (f boolPtrFlag) Type() string { return "bool" }

// SignupOpen reports whether visitors may sign up: as Signup says, or, when
// it is unset, only if every listener is on a loopback address.
func (c *Config) SignupOpen() bool {
	if c.Signup != nil {
		return *c.Signup
	}
	for _, addr := range []string{c.Addr, c.TLSAddr} {
		if addr != "" && !loopback(addr) {
			return false
		}
	}
	return true
}

// loopback reports whether a listen address is on a loopback interface;
// an empty host (every interface) is not.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// modelsDir returns the models directory.
func (c *Config) modelsDir() string {
	if c.ModelsDir != "" {
		return c.ModelsDir
	}
	return filepath.Join(c.DataDir, "models")
}

// bindFlags registers the serve flags on fs, with defaults taken from cfg.
func (c *Config) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on for gRPC and REST (env CLAVIS_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the database and bootstrap PAT (env CLAVIS_DATA_DIR)")
	fs.StringVar(&c.DB, "db", c.DB, "database: empty for SQLite in the data dir, or a postgres:// URL (env CLAVIS_DB)")
	fs.StringVar(&c.ModelsDir, "models-dir", c.ModelsDir, "directory of the runtime and model files that clavis setup fetches; default <data-dir>/models (env CLAVIS_MODELS_DIR)")
	fs.StringVar(&c.BootstrapUser, "bootstrap-user", c.BootstrapUser, "id of the admin user created on first start (env CLAVIS_BOOTSTRAP_USER)")
	fs.Var((*listFlag)(&c.FetchAllow), "fetch-allow", "let image URLs reach this host, host:port or CIDR despite the address rules; repeatable (env CLAVIS_FETCH_ALLOW, comma-separated)")
	fs.DurationVar(&c.AuthCacheTTL, "auth-cache-ttl", c.AuthCacheTTL, "how long a verified token, or a grant on an app, is trusted without a store lookup (env CLAVIS_AUTH_CACHE_TTL)")
	fs.DurationVar(&c.AuditRetention, "audit-retention", c.AuditRetention, "how long audit log entries are kept; 0 = forever (env CLAVIS_AUDIT_RETENTION)")
	fs.BoolVar(&c.Audit, "audit", c.Audit, "record the audit log; --audit=false writes no entry (env CLAVIS_AUDIT=0)")
	fs.DurationVar(&c.PATMaxLifetime, "pat-max-lifetime", c.PATMaxLifetime, "longest lifetime of new PATs, e.g. 2160h; 0 = no bound (env CLAVIS_PAT_MAX_LIFETIME)")
	fs.DurationVar(&c.AppKeyMaxLifetime, "app-key-max-lifetime", c.AppKeyMaxLifetime, "longest lifetime of new app keys; 0 = no bound (env CLAVIS_APP_KEY_MAX_LIFETIME)")
	fs.BoolVar(&c.PATExpiryRequired, "pat-expiry-required", c.PATExpiryRequired, "refuse new PATs that never expire (env CLAVIS_PAT_EXPIRY_REQUIRED=1)")
	fs.BoolVar(&c.AppKeyExpiryRequired, "app-key-expiry-required", c.AppKeyExpiryRequired, "refuse new app keys that never expire (env CLAVIS_APP_KEY_EXPIRY_REQUIRED=1)")
	fs.IntVar(&c.Workers, "workers", c.Workers, "concurrent predictions; 0 = number of CPUs (env CLAVIS_WORKERS)")
	fs.StringVar(&c.TLSAddr, "tls-addr", c.TLSAddr, "also serve gRPC and REST over TLS on this address (env CLAVIS_TLS_ADDR)")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate for --tls-addr (env CLAVIS_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key for --tls-addr (env CLAVIS_TLS_KEY)")
	fs.BoolVar(&c.TLSSelfSigned, "tls-self-signed", c.TLSSelfSigned, "use a self-signed certificate for localhost kept in <data-dir>/tls (env CLAVIS_TLS_SELF_SIGNED=1)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json (env CLAVIS_LOG_FORMAT)")
	fs.BoolVar(&c.Metrics, "metrics", c.Metrics, "serve Prometheus metrics at /metrics on the API ports (env CLAVIS_METRICS)")
	fs.StringVar(&c.DebugAddr, "debug-addr", c.DebugAddr, "serve the Go profiler (net/http/pprof) on this address, apart from the API; bind it to loopback, e.g. 127.0.0.1:6060 (env CLAVIS_DEBUG_ADDR)")
	c.Limits.bindFlags(fs)
	c.Inputs.bindFlags(fs)
	c.Quotas.bindFlags(fs)
	c.Memory.bindFlags(fs)
	fs.Var((*listFlag)(&c.CORSOrigins), "cors-origin", "let web pages of this origin (scheme://host[:port]) call the API, REST and gRPC-Web, from browsers; repeatable (env CLAVIS_CORS_ORIGIN, comma-separated)")
	fs.StringVar(&c.Redis, "redis", c.Redis, "redis:// URL of a Redis server for the keys' rate limit counters, shared by replicas; default the PostgreSQL database, or memory (env CLAVIS_REDIS)")
	fs.Var((*listFlag)(&c.TrustedProxies), "trusted-proxies", "reverse proxies (CIDRs or addresses) whose X-Forwarded-For names the client's address; repeatable; none by default (env CLAVIS_TRUSTED_PROXIES, comma-separated)")
	fs.Var(boolPtrFlag{&c.Signup}, "signup", "let visitors sign up in the portal: true or false; default open on a loopback address only (env CLAVIS_SIGNUP)")
}

// fromEnv overrides c with the CLAVIS_* variables that are set.
func (c *Config) fromEnv(getenv func(string) string) error {
	set := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	set("CLAVIS_ADDR", &c.Addr)
	set("CLAVIS_DATA_DIR", &c.DataDir)
	set("CLAVIS_DB", &c.DB)
	set("CLAVIS_MODELS_DIR", &c.ModelsDir)
	set("CLAVIS_BOOTSTRAP_USER", &c.BootstrapUser)
	set("CLAVIS_LOG_FORMAT", &c.LogFormat)
	set("CLAVIS_TOKEN_PEPPER", &c.TokenPepper)
	set("CLAVIS_TLS_ADDR", &c.TLSAddr)
	set("CLAVIS_TLS_CERT", &c.TLSCert)
	set("CLAVIS_TLS_KEY", &c.TLSKey)
	set("CLAVIS_DEBUG_ADDR", &c.DebugAddr)
	set("CLAVIS_REDIS", &c.Redis)
	for name, dst := range map[string]*bool{"CLAVIS_TLS_SELF_SIGNED": &c.TLSSelfSigned, "CLAVIS_METRICS": &c.Metrics} {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			*dst = b
		}
	}
	if v := getenv("CLAVIS_SIGNUP"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("CLAVIS_SIGNUP: %w", err)
		}
		c.Signup = &b
	}
	if v := getenv("CLAVIS_CORS_ORIGIN"); v != "" {
		c.CORSOrigins = splitList(v)
	}
	if v := getenv("CLAVIS_TRUSTED_PROXIES"); v != "" {
		c.TrustedProxies = splitList(v)
	}
	if v := getenv("CLAVIS_FETCH_ALLOW"); v != "" {
		c.FetchAllow = splitList(v)
	}
	if v := getenv("CLAVIS_AUTH_CACHE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("CLAVIS_AUTH_CACHE_TTL: %w", err)
		}
		c.AuthCacheTTL = d
	}
	for _, e := range []struct {
		env string
		dst *time.Duration
	}{{"CLAVIS_PAT_MAX_LIFETIME", &c.PATMaxLifetime}, {"CLAVIS_APP_KEY_MAX_LIFETIME", &c.AppKeyMaxLifetime}} {
		if v := getenv(e.env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("%s: want a duration such as 2160h", e.env)
			}
			*e.dst = d
		}
	}
	for _, e := range []struct {
		env string
		dst *bool
	}{{"CLAVIS_PAT_EXPIRY_REQUIRED", &c.PATExpiryRequired}, {"CLAVIS_APP_KEY_EXPIRY_REQUIRED", &c.AppKeyExpiryRequired}, {"CLAVIS_AUDIT", &c.Audit}} {
		if v := getenv(e.env); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s: want 1 or 0", e.env)
			}
			*e.dst = b
		}
	}
	if v := getenv("CLAVIS_AUDIT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("CLAVIS_AUDIT_RETENTION: %w", err)
		}
		c.AuditRetention = d
	}
	if v := getenv("CLAVIS_WORKERS"); v != "" {
		if _, err := fmt.Sscan(v, &c.Workers); err != nil {
			return fmt.Errorf("CLAVIS_WORKERS: %w", err)
		}
	}
	if err := c.Inputs.fromEnv(getenv); err != nil {
		return err
	}
	if err := c.Quotas.fromEnv(getenv); err != nil {
		return err
	}
	if err := c.Memory.fromEnv(getenv); err != nil {
		return err
	}
	return c.Limits.fromEnv(getenv)
}
