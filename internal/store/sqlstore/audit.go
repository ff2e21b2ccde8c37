package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

type audit struct{ v view }

const auditCols = `id, at, event, success, actor_id, actor_key_id, subject_id, key_id, org_id, app_owner_id, app_id, details, source_ip, req_id, count, until`

func scanAudit(row scanner) (*clavis.AuditEntry, error) {
	var e clavis.AuditEntry
	var at int64
	var until sql.NullInt64
	var owner, app string
	if err := row.Scan(&e.ID, &at, &e.Event, &e.Success, &e.ActorID, &e.ActorKeyID, &e.SubjectID, &e.KeyID, &e.OrgID,
		&owner, &app, &e.Details, &e.SourceIP, &e.ReqID, &e.Count, &until); err != nil {
		return nil, err
	}
	if app != "" {
		e.App = &clavis.AppRef{OwnerID: owner, AppID: app}
	}
	e.At, e.Until = fromMicros(at), fromNullMicros(until)
	return &e, nil
}

func (s audit) AppendAudit(ctx context.Context, entries ...*clavis.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return s.v.inTx(ctx, func(v view) error {
		for _, e := range entries {
			var owner, app string
			if e.App != nil {
				owner, app = e.App.OwnerID, e.App.AppID
			}
			count := e.Count
			if count < 1 {
				count = 1
			}
			_, err := v.exec(ctx, `INSERT INTO audit_log (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				e.ID, micros(e.At), string(e.Event), e.Success, e.ActorID, e.ActorKeyID, e.SubjectID, e.KeyID, e.OrgID,
				owner, app, e.Details, e.SourceIP, e.ReqID, count, nullMicros(e.Until))
			if err != nil {
				return v.failed(err, clavis.Errorf(clavis.EConflict, "an audit entry with id %q exists", e.ID), nil)
			}
		}
		return nil
	})
}

func (s audit) ListAudit(ctx context.Context, f clavis.AuditFilter, p clavis.Page) ([]*clavis.AuditEntry, error) {
	var where []string
	var args []any
	cond := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
	if f.Concerns != "" {
		cond("(actor_id = ? OR subject_id = ?)", f.Concerns, f.Concerns)
	}
	if f.OrgID != "" {
		cond("org_id = ?", f.OrgID)
	}
	if len(f.ActorIDs) > 0 {
		c, a := in("actor_id", f.ActorIDs)
		cond(c, a...)
	}
	if !f.Since.IsZero() {
		cond("at >= ?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		cond("at < ?", micros(f.Until))
	}
	if len(f.Events) > 0 {
		ph := make([]string, len(f.Events))
		a := make([]any, len(f.Events))
		for i, ev := range f.Events {
			ph[i], a[i] = "?", string(ev)
		}
		cond("event IN ("+strings.Join(ph, ", ")+")", a...)
	}
	if f.Success != nil {
		cond("success = ?", *f.Success)
	}
	if len(f.SourceIPs) > 0 {
		ph := make([]string, len(f.SourceIPs))
		a := make([]any, len(f.SourceIPs))
		for i, ip := range f.SourceIPs {
			ph[i], a[i] = "?", ip
		}
		cond("source_ip IN ("+strings.Join(ph, ", ")+")", a...)
	}
	if f.KeyID != "" {
		cond("(key_id = ? OR actor_key_id = ?)", f.KeyID, f.KeyID)
	}
	q := `SELECT ` + auditCols + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	order := ` ORDER BY at DESC, id DESC`
	if f.Ascending {
		order = ` ORDER BY at, id`
	}
	limit, offset := page(p)
	return list(ctx, s.v, scanAudit, q+order+` LIMIT ? OFFSET ?`, append(args, limit, offset)...)
}

func (s audit) PurgeAudit(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, nil
	}
	n, err := s.v.execCount(ctx, `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? ORDER BY at, id LIMIT ?)`, micros(before), limit)
	if err != nil {
		return 0, err
	}
	return n, nil
}
