package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/gateway"
	"github.com/clavis-dev/clavis/internal/grpcapi"
	"github.com/clavis-dev/clavis/internal/hosted"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/inference/fetch"
	"github.com/clavis-dev/clavis/internal/inference/loader"
	"github.com/clavis-dev/clavis/internal/jobs"
	"github.com/clavis-dev/clavis/internal/listen"
	"github.com/clavis-dev/clavis/internal/metrics"
	"github.com/clavis-dev/clavis/internal/probe"
	"github.com/clavis-dev/clavis/internal/service"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
	"github.com/clavis-dev/clavis/internal/vector"
	"github.com/clavis-dev/clavis/internal/web"

	"github.com/clavis-dev/clavis/api/gen/openapi"
	"github.com/clavis-dev/clavis/clavis"
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
	// AuthCacheTTL bounds how long a verified token is trusted without a
	// store lookup (CLAVIS_AUTH_CACHE_TTL).
	AuthCacheTTL time.Duration
	// AuditRetention is how long audit log entries are kept; 0 keeps them
	// forever (CLAVIS_AUDIT_RETENTION).
	AuditRetention time.Duration
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
	fs.DurationVar(&c.AuthCacheTTL, "auth-cache-ttl", c.AuthCacheTTL, "how long a verified token is trusted without a store lookup (env CLAVIS_AUTH_CACHE_TTL)")
	fs.DurationVar(&c.AuditRetention, "audit-retention", c.AuditRetention, "how long audit log entries are kept; 0 = forever (env CLAVIS_AUDIT_RETENTION)")
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
	}{{"CLAVIS_PAT_EXPIRY_REQUIRED", &c.PATExpiryRequired}, {"CLAVIS_APP_KEY_EXPIRY_REQUIRED", &c.AppKeyExpiryRequired}} {
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

func runServe(ctx context.Context, env *Env, args []string) error {
	cfg := DefaultConfig()
	if err := cfg.fromEnv(env.Getenv); err != nil {
		return usagef("%v", err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg.bindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	srv, err := NewServer(ctx, cfg, env.Stdout, env.Stderr)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return err
	}
	<-ctx.Done()
	srv.log.Info("shutting down")
	return srv.Close()
}

// Server is a running Clavis server: store, engine, auth and transports,
// serving gRPC (h2c) and REST on one listener.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   clavis.Store
	engine  *inference.Engine
	authn   *auth.Authenticator
	toucher *auth.Toucher
	grpc    *grpc.Server
	api     *grpcapi.Server
	rest    http.Handler // REST /v2 through grpc-gateway
	portal  http.Handler // the web portal, everything outside /v2
	restEnd io.Closer
	http    *http.Server
	ln      net.Listener
	tlsLn   net.Listener
	tlsCfg  *tls.Config
	https   *http.Server
	gate    *listen.Gate
	metrics *metrics.Metrics // nil with metrics off
	health  *health.Server   // the gRPC health service
	ready   *probe.Checker
	models  *loader.Loaded
	debug   *http.Server // --debug-addr
	debugLn net.Listener

	// TLSCertFile is the certificate the TLS listener uses, if any.
	TLSCertFile string

	closers        []io.Closer // loaded models
	stopBackground context.CancelFunc
	background     chan struct{}

	// Inputs: the service, their images, the job pool, the sweep's
	// wake-up, and the handler of hosted images.
	svc       *service.Service
	blobs     clavis.BlobStore
	pool      *jobs.Pool
	sweepWake chan struct{}
	hosted    http.Handler
	// index holds the embeddings of visual search.
	index *vector.Index

	// BootstrapPAT is the admin's PAT when this start created the admin.
	BootstrapPAT string
}

// NewServer opens the store (bootstrapping an empty one: the admin user, its
// default PAT printed once to stdout and saved in <data-dir>/bootstrap.pat),
// registers the models that are present, and wires the services. Logs go to
// logOut.
func NewServer(ctx context.Context, cfg Config, stdout, logOut io.Writer) (*Server, error) {
	log := newLogger(cfg.LogFormat, logOut)
	if err := cfg.Limits.validate(); err != nil {
		return nil, err
	}
	if err := cfg.Inputs.validate(); err != nil {
		return nil, err
	}
	if err := cfg.Quotas.validate(); err != nil {
		return nil, err
	}
	if err := cfg.Memory.validate(); err != nil {
		return nil, err
	}
	if err := mkdirPrivate(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if err := checkWritable(cfg.DataDir); err != nil {
		return nil, err
	}
	var tlsCfg *tls.Config
	var certFile string
	if cfg.TLSAddr != "" {
		var err error
		if tlsCfg, certFile, err = cfg.tlsConfig(); err != nil {
			return nil, err
		}
	}
	db, err := cfg.openStore(ctx)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, store: db, tlsCfg: tlsCfg, TLSCertFile: certFile}
	obs := s.newMetrics()
	s.gate = cfg.Limits.gate(log, obs.listen)
	hasher := auth.NewHasher([]byte(cfg.TokenPepper))
	s.toucher = auth.NewToucher(db.Keys(), log)
	failures := &failureSink{}
	s.authn = auth.NewAuthenticator(db, auth.AuthnConfig{Hasher: hasher, CacheTTL: cfg.AuthCacheTTL, Toucher: s.toucher, Now: cfg.Now, Observer: obs.authn, Failures: failures,
		Addr: func(ctx context.Context) string { return service.OriginOf(ctx).Addr }})
	var inval service.Invalidator = s.authn
	s.index = vector.New(service.VectorSource(db), vector.Config{MemoryBudget: cfg.Inputs.SearchMemory})
	var vectors service.VectorFeed = s.index
	if pg, ok := db.(*postgres.DB); ok {
		// Replicas share the database: publish invalidations and vector
		// changes to the others and apply theirs. pg.Close stops the
		// listener.
		n := pg.NewNotifier(s.authn, log)
		n.ListenVectors(indexSink{s.index})
		if err := n.Start(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("listen for cache invalidations: %w", err)
		}
		inval, vectors = n, replicaFeed{s.index, n}
	}
	fetcher, err := fetch.New(fetch.Config{Allow: cfg.FetchAllow})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("--fetch-allow: %w", err)
	}
	s.engine = inference.NewEngine(inference.Config{Workers: cfg.Workers, Fetcher: fetcher, Observer: obs.engine, DecodeBudget: cfg.Memory.apply(log)})
	s.registerModels()
	if s.blobs, err = cfg.openBlobs(db); err != nil {
		db.Close()
		return nil, err
	}
	s.pool = jobs.New(jobs.Config{Store: db.Jobs(), Workers: cfg.Inputs.JobWorkers, Log: log})
	s.sweepWake = make(chan struct{}, 1)
	authz := auth.NewAuthorizer(db)
	svc := service.New(service.Config{Store: db, Hasher: hasher, Invalidator: inval, Engine: s.engine, Authorizer: authz, Now: cfg.Now,
		Blobs: s.blobs, Fetcher: fetcher, Limits: cfg.Inputs.limits(), Quotas: cfg.Quotas.quotas(), Wake: s.wakeBackground, Index: s.index, Vectors: vectors,
		AuditRetention: cfg.AuditRetention, KeyPolicies: service.KeyPolicies{
			PAT: service.KeyPolicy{MaxLifetime: cfg.PATMaxLifetime, ExpiryRequired: cfg.PATExpiryRequired},
			App: service.KeyPolicy{MaxLifetime: cfg.AppKeyMaxLifetime, ExpiryRequired: cfg.AppKeyExpiryRequired}}})
	s.svc = svc
	failures.svc = svc
	registerJobs(s.pool, svc)
	if err := s.recover(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("recover from the previous run: %w", err)
	}

	tok, err := svc.Bootstrap(ctx, cfg.BootstrapUser)
	if clavis.ErrorCode(err) == clavis.EConflict {
		// Another replica bootstrapped the shared database at the same time.
		tok, err = svc.Bootstrap(ctx, cfg.BootstrapUser)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if tok != "" {
		path := filepath.Join(cfg.DataDir, "bootstrap.pat")
		if err := writePrivate(path, []byte(tok+"\n")); err != nil {
			db.Close()
			return nil, fmt.Errorf("save bootstrap PAT: %w", err)
		}
		s.BootstrapPAT = tok
		fmt.Fprintf(stdout, "Created admin user %q. Its Personal Access Token is shown once here and saved in %s (mode 0600):\n%s\n", cfg.BootstrapUser, path, tok)
	}

	api := grpcapi.New(svc, s.authn, authz, log, append(obs.grpc, grpcapi.WithRelayed(gateway.Relayed),
		grpcapi.WithUnauthenticatedStreams(cfg.Limits.MaxUnauthenticatedStreams))...)
	s.api = api
	api.HostImagesAt(cfg.Inputs.PublicURL)
	s.grpc = grpc.NewServer(append(api.ServerOptions(), cfg.Limits.grpcOptions()...)...)
	api.Register(s.grpc)
	// The health service says SERVING while the server is ready: Start
	// checks, then every readinessInterval, and so does each /readyz.
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	s.ready = probe.New(probe.Config{Checks: s.readiness(), GRPC: s.health, Services: []string{"", "clarifai.api.V2"}, Log: log})
	reflection.Register(s.grpc)
	gw := gateway.Config{Log: log, ChallengeHeader: grpcapi.ChallengeHeader, UserHeader: grpcapi.UserHeader, AddrMetadata: grpcapi.AddrMetadata,
		RetryAfterHeader: grpcapi.RetryAfterHeader, HTTPStatusHeader: grpcapi.HTTPStatusHeader, Observe: s.observeHTTP(),
		CORSOrigins: cfg.CORSOrigins, Authenticate: s.checkCredentials, BodyBudget: int64(cfg.Limits.MaxBodyBytesInFlight),
		OpenPaths: []string{"/v2/credentials/revoke"}}
	if s.rest, s.restEnd, err = gateway.New(ctx, s.grpc, gw); err != nil {
		db.Close()
		return nil, fmt.Errorf("REST gateway: %w", err)
	}

	portal, err := web.New(web.Config{Service: svc, Authorizer: authz, Log: log, Signup: cfg.SignupOpen(), OpenAPI: openapi.JSON, Now: cfg.Now, HostedPath: grpcapi.HostedPath})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("portal: %w", err)
	}
	s.portal = portal
	// Hosted images answer API keys and the portal's sessions alike.
	s.hosted = &hosted.Handler{Authenticate: hosted.FromHeader(s.authn, portal.SessionPrincipal), Authz: authz, Service: svc}

	// The plaintext HTTP server sees only HTTP/1.x connections: the
	// listener gives HTTP/2 with prior knowledge to the gRPC transport.
	s.http = cfg.Limits.httpServer(s.route(), log)
	if cfg.TLSAddr != "" {
		// Over TLS, HTTP/2 carries both gRPC and REST (and browsers), so
		// everything goes through one http.Server that routes by content type.
		s.https = cfg.Limits.httpServer(s.http.Handler, log)
		s.https.TLSConfig = s.tlsCfg
	}
	return s, nil
}

// blobsDir is the directory of the data dir that holds the images of
// inputs on the embedded store.
const blobsDir = "blobs"

// openStore opens the database that c.DB selects.
func (c *Config) openStore(ctx context.Context) (clavis.Store, error) {
	if c.DB == "" {
		db, err := sqlite.Open(ctx, filepath.Join(c.DataDir, "clavis.db"))
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	if !postgres.IsDSN(c.DB) {
		return nil, fmt.Errorf("--db: want empty (SQLite in the data dir) or a postgres:// URL")
	}
	db, err := postgres.Open(ctx, c.DB)
	if err != nil {
		return nil, err
	}
	return db, nil
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// route sends gRPC to the gRPC server, the operations endpoints (health,
// readiness, metrics) to theirs, the REST paths (/v2 and below) to the REST
// handler and everything else to the portal; request bodies of both have a
// bounded time to arrive.
func (s *Server) route() http.Handler {
	rest := listen.BodyDeadline(s.rest, s.cfg.Limits.BodyTimeout)
	portal := listen.BodyDeadline(s.portal, s.cfg.Limits.BodyTimeout)
	ops := s.opsHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// gRPC-Web calls and their CORS preflights, over HTTP/1.1 or
		// HTTP/2, go to the gateway, which relays them to the gRPC server.
		if gateway.IsGRPCWeb(r) {
			rest.ServeHTTP(w, r)
			return
		}
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			// grpc.Server.ServeHTTP has no tap: the same budget of calls
			// without verified credentials is applied here.
			ctx, err := s.api.Admit(r.Context(), r.URL.Path, metadata.MD{"authorization": r.Header.Values("Authorization")})
			if err != nil {
				refuseGRPC(w, status.Convert(err))
				return
			}
			s.grpc.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		if _, pattern := ops.Handler(r); pattern != "" {
			ops.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, grpcapi.HostedPath+"/") {
			s.hosted.ServeHTTP(w, r)
			return
		}
		if !restPath(r.URL.Path) {
			portal.ServeHTTP(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	})
}

// refuseGRPC answers a gRPC call over HTTP/2 with st alone, as grpc-go
// answers a call it refuses before reading it (Trailers-Only).
func refuseGRPC(w http.ResponseWriter, st *status.Status) {
	h := w.Header()
	h.Set("Content-Type", "application/grpc")
	h.Set("Grpc-Status", strconv.Itoa(int(st.Code())))
	h.Set("Grpc-Message", url.PathEscape(st.Message()))
	w.WriteHeader(http.StatusOK)
}

// checkCredentials checks an authorization header as the server would,
// for a transport that checks it before reading the body.
func (s *Server) checkCredentials(ctx context.Context, authorization string) error {
	_, err := s.authn.Authenticate(ctx, authorization)
	return err
}

// restPath reports whether a path is the REST API's: /v2 and below.
func restPath(p string) bool { return p == "/v2" || strings.HasPrefix(p, "/v2/") }

// Start listens on the configured address and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.ln = ln
	// Checked once before serving, so that the health service answers
	// SERVING from the first call of a server that is ready.
	s.ready.Check(context.Background())
	bg, cancel := context.WithCancel(context.Background())
	s.stopBackground, s.background = cancel, make(chan struct{})
	s.pool.Start()
	s.startSearch(bg)
	go func() {
		defer close(s.background)
		done := make(chan struct{})
		go func() { defer close(done); s.ready.Run(bg, readinessInterval) }()
		var wg sync.WaitGroup
		wg.Go(func() { s.sweep(bg) })
		wg.Go(func() { s.auditLoop(bg) })
		s.toucher.Run(bg, 5*time.Second)
		wg.Wait()
		<-done
	}()
	grpcLn, webLn := s.gate.Plain(ln)
	go func() {
		if err := s.grpc.Serve(grpcLn); err != nil && !errors.Is(err, grpc.ErrServerStopped) && !errors.Is(err, net.ErrClosed) {
			s.log.Error("serve gRPC", "err", err)
		}
	}()
	go func() {
		if err := s.http.Serve(webLn); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.log.Error("serve HTTP", "err", err)
		}
	}()
	s.log.Info("listening", "addr", ln.Addr().String(), "data_dir", s.cfg.DataDir, "max_conns", s.cfg.Limits.maxConns())
	if s.https != nil {
		tln, err := net.Listen("tcp", s.cfg.TLSAddr)
		if err != nil {
			return fmt.Errorf("listen TLS: %w", err)
		}
		s.tlsLn = tln
		go func() {
			if err := s.https.Serve(s.gate.TLS(tln, s.tlsCfg)); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
				s.log.Error("serve TLS", "err", err)
			}
		}()
		s.log.Info("listening with TLS", "addr", tln.Addr().String(), "cert", s.TLSCertFile)
	}
	if s.cfg.DebugAddr != "" {
		return s.startDebug()
	}
	return nil
}

// TLSAddr returns the address of the TLS listener, or "" without one.
func (s *Server) TLSAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops serving, flushes pending key-use times and closes the store.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Load balancers that watch gRPC health stop sending calls at once.
	s.health.Shutdown()
	if s.debug != nil {
		s.debug.Close()
	}
	if s.ln != nil {
		s.ln.Close()
		s.http.Shutdown(ctx)
		if s.https != nil && s.tlsLn != nil {
			s.https.Shutdown(ctx)
		}
	}
	s.restEnd.Close()
	if s.ln != nil {
		s.grpc.GracefulStop()
	}
	// Running jobs get a grace period, then go back to the queue.
	grace, done := context.WithTimeout(context.Background(), jobGrace)
	s.pool.Stop(grace)
	done()
	if s.stopBackground != nil {
		s.stopBackground()
		<-s.background
	}
	if err := s.FlushAudit(ctx); err != nil {
		s.log.Error("write the audit log", "err", err)
	}
	s.index.Close()
	for _, c := range s.closers {
		c.Close()
	}
	return s.store.Close()
}
