package main

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/ratelimit"
	"github.com/clavis-dev/clavis/internal/store/postgres"
)

// rateCounter returns the counter of the keys' rate limits: Redis when
// --redis is given, else the PostgreSQL database the replicas share, else
// this process's memory (the embedded store serves one process).
func (s *Server) rateCounter(ctx context.Context) (clavis.RateCounter, error) {
	if s.cfg.Redis != "" {
		r, err := ratelimit.OpenRedis(ctx, s.cfg.Redis)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, r)
		return r, nil
	}
	if pg, ok := s.store.(*postgres.DB); ok {
		return pg.RateCounter(), nil
	}
	return &ratelimit.Memory{}, nil
}
