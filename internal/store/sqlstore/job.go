package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

type jobs struct{ v view }

const jobCols = `id, kind, space_id, input_id, payload, state, attempts, run_after, lease_owner, lease_until, last_error, created_at, updated_at`

// jobRow is a job as stored: its app is named by its space.
type jobRow struct {
	job   clavis.Job
	space sql.NullString
}

func scanJob(row scanner) (*jobRow, error) {
	var r jobRow
	j := &r.job
	var input sql.NullString
	var runAfter, leaseUntil, created, updated int64
	if err := row.Scan(&j.ID, &j.Kind, &r.space, &input, &j.Payload, &j.State, &j.Attempts, &runAfter, &j.LeaseOwner, &leaseUntil,
		&j.LastError, &created, &updated); err != nil {
		return nil, err
	}
	j.InputID = input.String
	j.RunAfter, j.CreatedAt, j.UpdatedAt = fromMicros(runAfter), fromMicros(created), fromMicros(updated)
	if leaseUntil > 0 {
		j.LeaseUntil = fromMicros(leaseUntil)
	}
	return &r, nil
}

// resolve returns the jobs of rows with their apps, looked up from their
// spaces; a job of a deleted app has none.
func (v view) resolve(ctx context.Context, rows []*jobRow) ([]*clavis.Job, error) {
	apps := map[string]*clavis.AppRef{}
	out := make([]*clavis.Job, len(rows))
	for i, r := range rows {
		if r.space.Valid {
			ref, seen := apps[r.space.String]
			if !seen {
				a, err := get(ctx, v, func(row scanner) (*clavis.AppRef, error) {
					var owner, app sql.NullString
					if err := row.Scan(&owner, &app); err != nil || !app.Valid {
						return nil, err
					}
					return &clavis.AppRef{OwnerID: owner.String, AppID: app.String}, nil
				}, nil, `SELECT app_owner_id, app_id FROM app_spaces WHERE id = ?`, r.space.String)
				if err != nil {
					return nil, err
				}
				ref, apps[r.space.String] = a, a
			}
			r.job.App = ref
		}
		out[i] = &r.job
	}
	return out, nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// insertJobs inserts rows of jobs, queued and unleased, in the order of
// jobCols less the literals.
var insertJobs = insert{head: `INSERT INTO jobs (` + jobCols + `)`, tuple: `(?, ?, ?, ?, ?, ?, 0, ?, '', 0, ?, ?, ?)`}

func (s jobs) EnqueueJobs(ctx context.Context, js []*clavis.Job) error {
	if len(js) == 0 {
		return nil
	}
	return s.v.inTx(ctx, func(v view) error {
		spaces := map[clavis.AppRef]string{}
		rows := make([][]any, len(js))
		for i, j := range js {
			var space string
			if j.App != nil {
				var ok bool
				if space, ok = spaces[*j.App]; !ok {
					var err error
					if space, err = v.space(ctx, *j.App, true); err != nil {
						return err
					}
					spaces[*j.App] = space
				}
			}
			if j.ID == "" {
				j.ID = newID()
			}
			j.State, j.Attempts, j.LeaseOwner, j.LeaseUntil = clavis.JobQueued, 0, "", time.Time{}
			rows[i] = []any{j.ID, j.Kind, nullString(space), nullString(j.InputID), j.Payload, j.State, micros(j.RunAfter), j.LastError,
				micros(j.CreatedAt), micros(j.UpdatedAt)}
		}
		if failed, err := v.insertRows(ctx, insertJobs, rows); err != nil {
			taken := clavis.Errorf(clavis.EConflict, "a job id of this request is taken")
			missing := clavis.Errorf(clavis.ENotFound, "the input of a job of this request does not exist")
			if len(failed) == 1 {
				taken = clavis.Errorf(clavis.EConflict, "job id %q is taken", failed[0][0])
				missing = clavis.Errorf(clavis.ENotFound, "the input of job %q does not exist", failed[0][0])
			}
			return v.failed(err, taken, missing)
		}
		return nil
	})
}

func (s jobs) ClaimJobs(ctx context.Context, c clavis.JobClaim) ([]*clavis.Job, error) {
	if len(c.Kinds) == 0 || c.Limit <= 0 {
		return nil, nil
	}
	kinds, args := in("kind", c.Kinds)
	now := micros(c.Now)
	// One statement: on PostgreSQL the inner SELECT locks the rows it picks
	// and skips those another claim has locked; SQLite runs one writer at a
	// time.
	rows, err := list(ctx, s.v, scanJob, `UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id IN (SELECT id FROM jobs WHERE `+kinds+` AND ((state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_until < ?))
		ORDER BY run_after, id LIMIT ?`+s.v.e.Dialect.SkipLocked+`) RETURNING `+jobCols,
		append(append([]any{c.Owner, micros(c.LeaseUntil), now}, args...), now, now, c.Limit)...)
	if err != nil {
		return nil, err
	}
	return s.v.resolve(ctx, rows)
}

func (s jobs) RenewJobLeases(ctx context.Context, owner string, until time.Time) error {
	_, err := s.v.exec(ctx, `UPDATE jobs SET lease_until = ? WHERE lease_owner = ? AND state = 'running'`, micros(until), owner)
	return s.v.failed(err, nil, nil)
}

// held runs an update of a job that owner holds, or returns JobNotHeld.
func (s jobs) held(ctx context.Context, id, owner, set string, args ...any) error {
	res, err := s.v.exec(ctx, `UPDATE jobs SET `+set+` WHERE id = ? AND lease_owner = ? AND state = 'running'`, append(args, id, owner)...)
	return s.v.affected(res, err, clavis.JobNotHeld(id))
}

func (s jobs) CompleteJob(ctx context.Context, id, owner string) error {
	res, err := s.v.exec(ctx, `DELETE FROM jobs WHERE id = ? AND lease_owner = ? AND state = 'running'`, id, owner)
	return s.v.affected(res, err, clavis.JobNotHeld(id))
}

func (s jobs) RetryJob(ctx context.Context, id, owner, lastError string, at, runAfter time.Time) error {
	return s.held(ctx, id, owner, `state = 'queued', run_after = ?, last_error = ?, lease_owner = '', lease_until = 0, updated_at = ?`,
		micros(runAfter), lastError, micros(at))
}

func (s jobs) FailJob(ctx context.Context, id, owner, lastError string, at time.Time) error {
	return s.held(ctx, id, owner, `state = 'failed', last_error = ?, lease_owner = '', lease_until = 0, updated_at = ?`, lastError, micros(at))
}

func (s jobs) ReleaseJob(ctx context.Context, id, owner string, at time.Time) error {
	return s.held(ctx, id, owner, `state = 'queued', attempts = attempts - 1, run_after = ?, lease_owner = '', lease_until = 0, updated_at = ?`,
		micros(at), micros(at))
}

func (s jobs) ReleaseLeases(ctx context.Context, at time.Time) (int, error) {
	return s.v.execCount(ctx, `UPDATE jobs SET state = 'queued', run_after = ?, lease_owner = '', lease_until = 0, updated_at = ?
		WHERE state = 'running'`, micros(at), micros(at))
}

func (s jobs) GetJob(ctx context.Context, id string) (*clavis.Job, error) {
	r, err := get(ctx, s.v, scanJob, clavis.Errorf(clavis.ENotFound, "job %q does not exist", id), `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	out, err := s.v.resolve(ctx, []*jobRow{r})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s jobs) ListJobs(ctx context.Context, f clavis.JobFilter, p clavis.Page) ([]*clavis.Job, error) {
	var w where
	if f.App != nil {
		space, err := s.v.space(ctx, *f.App, false)
		if err != nil || space == "" {
			return nil, err
		}
		w.add("space_id = ?", space)
	}
	if f.Kind != "" {
		w.add("kind = ?", f.Kind)
	}
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	if f.InputID != "" {
		w.add("input_id = ?", f.InputID)
	}
	limit, offset := page(p)
	rows, err := list(ctx, s.v, scanJob, `SELECT `+jobCols+` FROM jobs`+w.String()+` ORDER BY created_at, id LIMIT ? OFFSET ?`,
		append(w.args, limit, offset)...)
	if err != nil {
		return nil, err
	}
	return s.v.resolve(ctx, rows)
}
