package main

import (
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/clavis-dev/clavis/internal/gateway"
	"github.com/clavis-dev/clavis/internal/grpcapi"
	"github.com/clavis-dev/clavis/internal/listen"
)

// Limits bounds what clients can hold of the server: connections, the time
// they may take, streams and header sizes. docs/configuration.md ("Limits")
// gives every default and why.
type Limits struct {
	// MaxConns caps the connections open at once on both ports, counting
	// those whose protocol is not known yet; 0 means three quarters of the
	// open-file limit (CLAVIS_MAX_CONNS).
	MaxConns int
	// MaxConnsPerAddr caps the connections open at once from one client
	// address (an IPv6 /64); 0 means no cap, for a server behind a proxy
	// (CLAVIS_MAX_CONNS_PER_ADDR).
	MaxConnsPerAddr int
	// FirstBytesTimeout bounds the time a new connection has to send its
	// first bytes, or to finish its TLS handshake
	// (CLAVIS_FIRST_BYTES_TIMEOUT).
	FirstBytesTimeout time.Duration
	// HeaderTimeout bounds the time to read a request's headers (HTTP/1.x)
	// and the HTTP/2 handshake of a gRPC connection (CLAVIS_HEADER_TIMEOUT).
	HeaderTimeout time.Duration
	// BodyTimeout bounds the time a REST request body has to arrive in full
	// (CLAVIS_BODY_TIMEOUT).
	BodyTimeout time.Duration
	// IdleTimeout closes connections without a request in flight for this
	// long: HTTP/1.x keep-alive, HTTP/2 and gRPC (CLAVIS_IDLE_TIMEOUT).
	IdleTimeout time.Duration
	// KeepaliveTime is how long an HTTP/2 or gRPC connection may be silent
	// before the server pings it; KeepaliveTimeout how long it waits for the
	// answer before closing the connection (CLAVIS_KEEPALIVE_TIME,
	// CLAVIS_KEEPALIVE_TIMEOUT).
	KeepaliveTime, KeepaliveTimeout time.Duration
	// MaxStreams caps the requests in flight on one HTTP/2 or gRPC
	// connection (CLAVIS_MAX_STREAMS).
	MaxStreams int
	// MaxHeaderBytes caps a request's headers, on both transports
	// (CLAVIS_MAX_HEADER_BYTES).
	MaxHeaderBytes int
	// MaxBodyBytesInFlight caps the bytes of REST and gRPC-Web request
	// bodies the server holds at once, across all requests; a request
	// over it is answered 40030 RPC_REQUEST_QUEUE_FULL
	// (CLAVIS_MAX_BODY_BYTES_IN_FLIGHT).
	MaxBodyBytesInFlight int
	// MaxUnauthenticatedStreams caps the gRPC calls in flight whose
	// credentials the server has not verified (none, malformed, unknown,
	// or not yet cached); past it they are refused RESOURCE_EXHAUSTED
	// (CLAVIS_MAX_UNAUTHENTICATED_STREAMS).
	MaxUnauthenticatedStreams int
}

// keepaliveMinTime is the shortest interval between a client's pings that
// the server tolerates; faster pinging gets the connection closed. 5 s lets
// clients that ping every 10 s, idle or not, keep their connections.
const keepaliveMinTime = 5 * time.Second

func defaultLimits() Limits {
	return Limits{
		MaxConnsPerAddr:   1000,
		FirstBytesTimeout: 5 * time.Second,
		HeaderTimeout:     10 * time.Second,
		BodyTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		KeepaliveTime:     time.Minute,
		KeepaliveTimeout:  20 * time.Second,
		MaxStreams:        250,
		MaxHeaderBytes:    64 << 10,
		// Two of the largest bodies at once.
		MaxBodyBytesInFlight:      gateway.DefaultBodyBudget,
		MaxUnauthenticatedStreams: grpcapi.DefaultUnauthenticatedStreams,
	}
}

// limitSetting is one field of Limits with its flag and variable.
type limitSetting struct {
	flag, env, usage string
	dur              *time.Duration // one of dur and num is set
	num              *int
	min              int64 // smallest value accepted (durations: > 0 always)
}

func (l *Limits) settings() []limitSetting {
	return []limitSetting{
		{flag: "max-conns", env: "CLAVIS_MAX_CONNS", num: &l.MaxConns, usage: "connections open at once on both ports; 0 = three quarters of the open-file limit"},
		{flag: "max-conns-per-addr", env: "CLAVIS_MAX_CONNS_PER_ADDR", num: &l.MaxConnsPerAddr, usage: "connections open at once from one client address (IPv6: one /64); 0 = no cap"},
		{flag: "first-bytes-timeout", env: "CLAVIS_FIRST_BYTES_TIMEOUT", dur: &l.FirstBytesTimeout, usage: "time a new connection has to send its first bytes or finish its TLS handshake"},
		{flag: "header-timeout", env: "CLAVIS_HEADER_TIMEOUT", dur: &l.HeaderTimeout, usage: "time to read a request's headers, or a gRPC connection's HTTP/2 handshake"},
		{flag: "body-timeout", env: "CLAVIS_BODY_TIMEOUT", dur: &l.BodyTimeout, usage: "time a REST request body has to arrive in full"},
		{flag: "idle-timeout", env: "CLAVIS_IDLE_TIMEOUT", dur: &l.IdleTimeout, usage: "close connections idle for this long (HTTP/1.x, HTTP/2, gRPC)"},
		{flag: "keepalive-time", env: "CLAVIS_KEEPALIVE_TIME", dur: &l.KeepaliveTime, usage: "ping an HTTP/2 or gRPC connection silent for this long"},
		{flag: "keepalive-timeout", env: "CLAVIS_KEEPALIVE_TIMEOUT", dur: &l.KeepaliveTimeout, usage: "close a connection whose ping is not answered within this time"},
		{flag: "max-streams", env: "CLAVIS_MAX_STREAMS", num: &l.MaxStreams, min: 1, usage: "requests in flight on one HTTP/2 or gRPC connection"},
		{flag: "max-header-bytes", env: "CLAVIS_MAX_HEADER_BYTES", num: &l.MaxHeaderBytes, min: 4096, usage: "largest request headers, on both transports"},
		{flag: "max-body-bytes-in-flight", env: "CLAVIS_MAX_BODY_BYTES_IN_FLIGHT", num: &l.MaxBodyBytesInFlight, min: 1 << 20, usage: "bytes of REST and gRPC-Web request bodies held at once across all requests; over it: 40030"},
		{flag: "max-unauthenticated-streams", env: "CLAVIS_MAX_UNAUTHENTICATED_STREAMS", num: &l.MaxUnauthenticatedStreams, min: 1, usage: "gRPC calls in flight without verified credentials; over it: RESOURCE_EXHAUSTED"},
	}
}

// bindFlags registers the limit flags on fs, with defaults taken from l.
func (l *Limits) bindFlags(fs *flag.FlagSet) {
	for _, s := range l.settings() {
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		if s.dur != nil {
			fs.DurationVar(s.dur, s.flag, *s.dur, usage)
		} else {
			fs.IntVar(s.num, s.flag, *s.num, usage)
		}
	}
}

// fromEnv overrides l with the CLAVIS_* variables that are set.
func (l *Limits) fromEnv(getenv func(string) string) error {
	for _, s := range l.settings() {
		v := getenv(s.env)
		if v == "" {
			continue
		}
		var err error
		if s.dur != nil {
			*s.dur, err = time.ParseDuration(v)
		} else {
			*s.num, err = strconv.Atoi(v)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.env, err)
		}
	}
	return nil
}

// validate refuses values that would leave the server unbounded or unable
// to serve: every timeout must be positive.
func (l Limits) validate() error {
	for _, s := range l.settings() {
		switch {
		case s.dur != nil && *s.dur <= 0:
			return fmt.Errorf("--%s must be positive", s.flag)
		case s.num != nil && (int64(*s.num) < s.min || *s.num > math.MaxInt32):
			return fmt.Errorf("--%s must be between %d and %d", s.flag, s.min, math.MaxInt32)
		}
	}
	return nil
}

// maxConns returns the cap on connections, resolving 0.
func (l Limits) maxConns() int {
	if l.MaxConns > 0 {
		return l.MaxConns
	}
	// The rest of the descriptors stay for the database, model files and
	// outgoing image fetches.
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 || rl.Cur > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(rl.Cur) * 3 / 4
}

// gate returns the Gate of the server's listeners, reporting to obs (nil:
// nothing).
func (l Limits) gate(log *slog.Logger, obs listen.Observer) *listen.Gate {
	return listen.New(listen.Config{
		MaxConns:        l.maxConns(),
		MaxConnsPerAddr: l.MaxConnsPerAddr,
		FirstBytes:      l.FirstBytesTimeout,
		Refusal:         gateway.TransportRefusal,
		MaxHeaderBytes:  l.MaxHeaderBytes,
		Log:             log,
		Observer:        obs,
	})
}

// grpcOptions returns the gRPC server's options for the limits: on the
// plaintext port gRPC has its own transport, which http.Server's settings
// do not reach.
func (l Limits) grpcOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ConnectionTimeout(l.HeaderTimeout),
		grpc.MaxConcurrentStreams(uint32(l.MaxStreams)),
		grpc.MaxHeaderListSize(uint32(l.MaxHeaderBytes)),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: l.IdleTimeout,
			Time:              l.KeepaliveTime,
			Timeout:           l.KeepaliveTimeout,
		}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveMinTime, PermitWithoutStream: true}),
	}
}

// httpServer returns an http.Server with the limits, serving h.
func (l Limits) httpServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.HeaderTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		// Over TLS, HTTP/2 carries gRPC and REST through this server.
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: l.MaxStreams,
			SendPingTimeout:      l.KeepaliveTime,
			PingTimeout:          l.KeepaliveTimeout,
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
