package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clavis-dev/clavis/clavis"
)

// Redis counts requests in a Redis server that every replica shares. Each
// request is one script run atomically on the server: INCR of the window's
// key, and PEXPIRE when the INCR created it, so the count is exact and the
// key never outlives its window for long. It is safe for concurrent use.
type Redis struct {
	c      *redis.Client
	prefix string
}

var _ clavis.RateCounter = (*Redis)(nil)

// countScript increments KEYS[1] and sets its time to live (ARGV[1]
// milliseconds) when the increment created it.
var countScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// DialTimeout bounds how long connecting to Redis may take; ReadTimeout and
// WriteTimeout bound each command, so that an unreachable server fails a
// request quickly instead of holding it.
const (
	DialTimeout  = 2 * time.Second
	ReadTimeout  = time.Second
	WriteTimeout = time.Second
)

// OpenRedis connects to the Redis server of a redis:// or rediss:// URL
// (redis://[user:password@]host:port[/db]) and checks that it answers.
// Keys are named "clavis:rate:<subject>:<window start>". The error never
// contains the URL, which may hold a password.
func OpenRedis(ctx context.Context, url string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("--redis: want a URL such as redis://127.0.0.1:6379/0")
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = DialTimeout, ReadTimeout, WriteTimeout
	c := redis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("connect to redis at %s: %w", opt.Addr, err)
	}
	return &Redis{c: c, prefix: "clavis:rate:"}, nil
}

// CountRequest implements clavis.RateCounter.
func (r *Redis) CountRequest(ctx context.Context, subject string, start time.Time, ttl time.Duration) (int64, error) {
	key := r.prefix + subject + ":" + strconv.FormatInt(start.UnixMilli(), 10)
	n, err := countScript.Run(ctx, r.c, []string{key}, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("count a request in redis: %w", err)
	}
	return n, nil
}

// Ping checks that the server answers, for the server's readiness.
func (r *Redis) Ping(ctx context.Context) error { return r.c.Ping(ctx).Err() }

// Close closes the connections.
func (r *Redis) Close() error { return r.c.Close() }
