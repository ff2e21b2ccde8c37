package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

type passwords struct{ v view }

func scanPassword(row scanner) (*clavis.Password, error) {
	var p clavis.Password
	var updated int64
	if err := row.Scan(&p.UserID, &p.Hash, &p.MustChange, &updated); err != nil {
		return nil, err
	}
	p.UpdatedAt = fromMicros(updated)
	return &p, nil
}

func (s passwords) SetPassword(ctx context.Context, p *clavis.Password) error {
	// Only users have passwords: an organization's id (a row of users of
	// another kind) is as missing as an unknown one.
	res, err := s.v.exec(ctx, `INSERT INTO passwords (user_id, hash, must_change, updated_at)
		SELECT id, ?, ?, ? FROM users WHERE id = ? AND kind = 'user'
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, must_change = excluded.must_change, updated_at = excluded.updated_at`,
		p.Hash, p.MustChange, micros(p.UpdatedAt), p.UserID)
	if err != nil {
		return s.v.failed(err, nil, nil)
	}
	return s.v.affected(res, nil, clavis.UserNotFound(p.UserID))
}

func (s passwords) GetPassword(ctx context.Context, userID string) (*clavis.Password, error) {
	return get(ctx, s.v, scanPassword, clavis.Errorf(clavis.ENotFound, "user %q has no password", userID),
		`SELECT user_id, hash, must_change, updated_at FROM passwords WHERE user_id = ?`, userID)
}

type sessions struct{ v view }

const sessionCols = `digest, user_id, must_change, created_at, last_seen_at, expires_at`

func scanSession(row scanner) (*clavis.Session, error) {
	var s clavis.Session
	var created, seen, expires int64
	if err := row.Scan(&s.Digest, &s.UserID, &s.MustChangePassword, &created, &seen, &expires); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return &s, nil
}

func sessionNotFound() error { return clavis.Errorf(clavis.ENotFound, "no such session") }

func (s sessions) CreateSession(ctx context.Context, se *clavis.Session) error {
	_, err := s.v.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		se.Digest, se.UserID, se.MustChangePassword, micros(se.CreatedAt), micros(se.LastSeenAt), micros(se.ExpiresAt))
	return s.v.failed(err, clavis.Errorf(clavis.EConflict, "a session with this id already exists"), clavis.UserNotFound(se.UserID))
}

func (s sessions) GetSession(ctx context.Context, digest []byte) (*clavis.Session, error) {
	return get(ctx, s.v, scanSession, sessionNotFound(), `SELECT `+sessionCols+` FROM sessions WHERE digest = ?`, digest)
}

func (s sessions) TouchSession(ctx context.Context, digest []byte, at time.Time) error {
	res, err := s.v.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE digest = ?`, micros(at), digest)
	return s.v.affected(res, err, sessionNotFound())
}

func (s sessions) DeleteSession(ctx context.Context, digest []byte) error {
	res, err := s.v.exec(ctx, `DELETE FROM sessions WHERE digest = ?`, digest)
	return s.v.affected(res, err, sessionNotFound())
}

func (s sessions) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.v.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return s.v.failed(err, nil, nil)
}

func (s sessions) DeleteExpiredSessions(ctx context.Context, now, idleSince time.Time) error {
	_, err := s.v.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?`, micros(now), micros(idleSince))
	return s.v.failed(err, nil, nil)
}

type loginThrottle struct{ v view }

func (s loginThrottle) LoginFailures(ctx context.Context, subject string, since time.Time) (int, error) {
	var n int
	err := s.v.queryRow(ctx, `SELECT failures FROM login_failures WHERE subject = ? AND window_start > ?`, subject, micros(since)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, s.v.internal(err)
	}
	return n, nil
}

func (s loginThrottle) AddLoginFailure(ctx context.Context, subject string, at, since time.Time) (int, error) {
	var n int
	err := s.v.inTx(ctx, func(v view) error {
		if _, err := v.exec(ctx, `DELETE FROM login_failures WHERE window_start <= ?`, micros(since)); err != nil {
			return v.internal(err)
		}
		// One statement, so concurrent failures of one subject all count.
		if _, err := v.exec(ctx, `INSERT INTO login_failures (subject, window_start, failures) VALUES (?, ?, 1)
			ON CONFLICT (subject) DO UPDATE SET failures = login_failures.failures + 1`, subject, micros(at)); err != nil {
			return v.internal(err)
		}
		return v.queryRow(ctx, `SELECT failures FROM login_failures WHERE subject = ?`, subject).Scan(&n)
	})
	if err != nil {
		return 0, s.v.failed(err, nil, nil)
	}
	return n, nil
}

func (s loginThrottle) ClearLoginFailures(ctx context.Context, subject string) error {
	_, err := s.v.exec(ctx, `DELETE FROM login_failures WHERE subject = ?`, subject)
	return s.v.failed(err, nil, nil)
}
