package sqlstore

import (
	"context"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// Add jobs keep no counts of their own but the inputs refused on arrival:
// their progress is counted from the inputs that name them, so that it is
// right whatever happens to the inputs.

const addJobCols = `id, refused, cancelled, created_at, updated_at`

func scanAddJob(app clavis.AppRef) func(scanner) (*clavis.InputsAddJob, error) {
	return func(row scanner) (*clavis.InputsAddJob, error) {
		j := clavis.InputsAddJob{App: app}
		var created, updated int64
		if err := row.Scan(&j.ID, &j.Refused, &j.Cancelled, &created, &updated); err != nil {
			return nil, err
		}
		j.CreatedAt, j.UpdatedAt = fromMicros(created), fromMicros(updated)
		return &j, nil
	}
}

func (s inputs) PutAddJob(ctx context.Context, app clavis.AppRef, id string, refused int, at time.Time) error {
	return s.v.inTx(ctx, func(v view) error {
		space, err := v.space(ctx, app, true)
		if err != nil {
			return err
		}
		_, err = v.exec(ctx, `INSERT INTO input_add_jobs (space_id, id, refused, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (space_id, id) DO UPDATE SET refused = input_add_jobs.refused + excluded.refused, updated_at = excluded.updated_at`,
			space, id, refused, micros(at), micros(at))
		return v.failed(err, nil, nil)
	})
}

// progress fills in the progress of add jobs of space.
func (v view) progress(ctx context.Context, space string, jobs ...*clavis.InputsAddJob) error {
	for _, j := range jobs {
		j.Progress = clavis.InputCounts{Failed: j.Refused}
		if err := v.countByStatus(ctx, &j.Progress, `space_id = ? AND add_job_id = ?`, space, j.ID); err != nil {
			return err
		}
	}
	return nil
}

func (s inputs) GetAddJob(ctx context.Context, app clavis.AppRef, id string) (*clavis.InputsAddJob, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil {
		return nil, err
	}
	j, err := get(ctx, s.v, scanAddJob(app), clavis.AddJobNotFound(id),
		`SELECT `+addJobCols+` FROM input_add_jobs WHERE space_id = ? AND id = ?`, space, id)
	if err != nil {
		return nil, err
	}
	return j, s.v.progress(ctx, space, j)
}

func (s inputs) ListAddJobs(ctx context.Context, app clavis.AppRef, p clavis.Page) ([]*clavis.InputsAddJob, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil || space == "" {
		return nil, err
	}
	limit, offset := page(p)
	js, err := list(ctx, s.v, scanAddJob(app), `SELECT `+addJobCols+` FROM input_add_jobs WHERE space_id = ?
		ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, space, limit, offset)
	if err != nil {
		return nil, err
	}
	return js, s.v.progress(ctx, space, js...)
}

func (s inputs) CancelAddJob(ctx context.Context, app clavis.AppRef, id, details string, at time.Time) error {
	return s.v.inTx(ctx, func(v view) error {
		space, err := v.space(ctx, app, false)
		if err != nil {
			return err
		}
		res, err := v.exec(ctx, `UPDATE input_add_jobs SET cancelled = TRUE, updated_at = ? WHERE space_id = ? AND id = ?`, micros(at), space, id)
		if err := v.affected(res, err, clavis.AddJobNotFound(id)); err != nil {
			return err
		}
		const pending = `SELECT id FROM inputs WHERE space_id = ? AND add_job_id = ? AND status = ?`
		if _, err := v.exec(ctx, `DELETE FROM jobs WHERE space_id = ? AND input_id IN (`+pending+`)`,
			space, space, id, clavis.InputPending); err != nil {
			return v.internal(err)
		}
		_, err = v.exec(ctx, `UPDATE inputs SET status = ?, status_details = ?, updated_at = ? WHERE space_id = ? AND add_job_id = ? AND status = ?`,
			clavis.InputFailed, details, micros(at), space, id, clavis.InputPending)
		return v.failed(err, nil, nil)
	})
}
