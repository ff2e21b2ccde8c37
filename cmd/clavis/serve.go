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
	"github.com/clavis-dev/clavis/internal/clientaddr"
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
	// modelsLogged is closed once the models loaded and the outcome is
	// logged; nil before Start.
	modelsLogged chan struct{}
	// holdModels, set by tests only, holds the models' load back until
	// it is closed.
	holdModels chan struct{}
	debug      *http.Server // --debug-addr
	debugLn    net.Listener

	// TLSCertFile is the certificate the TLS listener uses, if any.
	TLSCertFile string

	closers        []io.Closer // loaded models, the Redis client
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
	if cfg.ModelLoadWait < 0 || cfg.ModelLoaders < 0 {
		return nil, fmt.Errorf("--model-load-wait and --model-loaders must be 0 or more")
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
	proxies, err := clientaddr.Parse(cfg.TrustedProxies)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	counter, err := s.rateCounter(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	limiter := auth.NewRateLimiter(counter, cfg.Now, log)
	fetcher, err := fetch.New(fetch.Config{Allow: cfg.FetchAllow})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("--fetch-allow: %w", err)
	}
	loadWait := cfg.ModelLoadWait
	if loadWait == 0 {
		loadWait = -1 // the engine's "no wait"
	}
	s.engine = inference.NewEngine(inference.Config{Workers: cfg.Workers, Fetcher: fetcher, Observer: obs.engine, DecodeBudget: cfg.Memory.apply(log), LoadWait: loadWait})
	s.registerModels()
	if s.blobs, err = cfg.openBlobs(db); err != nil {
		db.Close()
		return nil, err
	}
	s.pool = jobs.New(jobs.Config{Store: db.Jobs(), Workers: cfg.Inputs.JobWorkers, Log: log})
	s.sweepWake = make(chan struct{}, 1)
	// Grants are cached beside the tokens, and dropped by the same
	// invalidations (inval: this replica's and, on PostgreSQL, the others').
	authz := auth.NewCachedAuthorizer(db, s.authn.Grants())
	svc := service.New(service.Config{Store: db, Hasher: hasher, Invalidator: inval, Engine: s.engine, Authorizer: authz, Now: cfg.Now,
		Blobs: s.blobs, Fetcher: fetcher, Limits: cfg.Inputs.limits(), Quotas: cfg.Quotas.quotas(), Wake: s.wakeBackground, Index: s.index, Vectors: vectors,
		AuditRetention: cfg.AuditRetention, AuditOff: !cfg.Audit, KeyPolicies: service.KeyPolicies{
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
		grpcapi.WithRateLimiter(limiter), grpcapi.WithTrustedProxies(proxies),
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
	gw := gateway.Config{Log: log, ChallengeHeader: grpcapi.ChallengeHeader, UserHeader: grpcapi.UserHeader, AddrMetadata: grpcapi.AddrMetadata, SchemeMetadata: grpcapi.SchemeMetadata,
		RetryAfterHeader: grpcapi.RetryAfterHeader, HTTPStatusHeader: grpcapi.HTTPStatusHeader, Observe: s.observeHTTP(),
		CORSOrigins: cfg.CORSOrigins, Authenticate: s.checkCredentials, BodyBudget: int64(cfg.Limits.MaxBodyBytesInFlight),
		OpenPaths: []string{"/v2/credentials/revoke"}, TrustedProxies: proxies,
		Local: gateway.NewLocal(cfg.Limits.MaxStreams, api.Chain()...)}
	api.Register(gw.Local)
	if s.rest, s.restEnd, err = gateway.New(ctx, s.grpc, gw); err != nil {
		db.Close()
		return nil, fmt.Errorf("REST gateway: %w", err)
	}

	portal, err := web.New(web.Config{Service: svc, Authorizer: authz, Log: log, Signup: cfg.SignupOpen(), OpenAPI: openapi.JSON, Now: cfg.Now, HostedPath: grpcapi.HostedPath, TrustedProxies: proxies})
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
// for a transport that checks it before reading the body, from the
// client's address addr (a key may be limited to addresses).
func (s *Server) checkCredentials(ctx context.Context, authorization, addr string) error {
	_, err := s.authn.Authenticate(service.WithOrigin(ctx, &service.Origin{Addr: addr}), authorization)
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
	// The models load behind the listener: until each is loaded its
	// predictions wait briefly, then answer 21355 MODEL_LOADING.
	s.loadModels()
	// Checked once before serving, so that the health service answers
	// SERVING from the first call of a server that is ready.
	s.ready.Check(context.Background())
	// The sweeps, audit pruning and key-use flushes are background work:
	// on SQLite, requests' writes go before theirs.
	bg, cancel := context.WithCancel(clavis.Background(context.Background()))
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
		// Requests still running when the grace ends (REST calls run in
		// them, in process) lose their connections, which ends their
		// contexts, before the store closes.
		if s.http.Shutdown(ctx) != nil {
			s.http.Close()
		}
		if s.https != nil && s.tlsLn != nil && s.https.Shutdown(ctx) != nil {
			s.https.Close()
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
	if s.modelsLogged != nil {
		<-s.modelsLogged // the models' log lines and readiness check
	}
	return s.store.Close()
}
