package sqlstore

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
)

type concepts struct{ v view }

const conceptCols = `id, name, created_at, updated_at`

func scanConcept(app clavis.AppRef) func(scanner) (*clavis.AppConcept, error) {
	return func(row scanner) (*clavis.AppConcept, error) {
		c := clavis.AppConcept{App: app}
		var created, updated int64
		if err := row.Scan(&c.ID, &c.Name, &created, &updated); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
		return &c, nil
	}
}

func (s concepts) CreateConcepts(ctx context.Context, app clavis.AppRef, cs []*clavis.AppConcept) error {
	if len(cs) == 0 {
		return nil
	}
	return s.v.inTx(ctx, func(v view) error {
		space, err := v.space(ctx, app, true)
		if err != nil {
			return err
		}
		for _, c := range cs {
			_, err := v.exec(ctx, `INSERT INTO concepts (space_id, `+conceptCols+`) VALUES (?, ?, ?, ?, ?)`,
				space, c.ID, c.Name, micros(c.CreatedAt), micros(c.UpdatedAt))
			if err != nil {
				return v.failed(err, clavis.Errorf(clavis.EConflict, "concept %q already exists in this app", c.ID), nil)
			}
		}
		return nil
	})
}

func (s concepts) GetConcept(ctx context.Context, app clavis.AppRef, id string) (*clavis.AppConcept, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil {
		return nil, err
	}
	return get(ctx, s.v, scanConcept(app), clavis.ConceptNotFound(id), `SELECT `+conceptCols+` FROM concepts WHERE space_id = ? AND id = ?`, space, id)
}

func (s concepts) ListConcepts(ctx context.Context, app clavis.AppRef, idPart string, p clavis.Page) ([]*clavis.AppConcept, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil || space == "" {
		return nil, err
	}
	var w where
	w.add("space_id = ?", space)
	if idPart != "" {
		w.add(s.v.e.Dialect.Instr+"(id, ?) > 0", idPart)
	}
	limit, offset := page(p)
	return list(ctx, s.v, scanConcept(app), `SELECT `+conceptCols+` FROM concepts`+w.String()+` ORDER BY id LIMIT ? OFFSET ?`,
		append(w.args, limit, offset)...)
}

func (s concepts) MissingConcepts(ctx context.Context, app clavis.AppRef, ids []string) ([]string, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil {
		return nil, err
	}
	idIn, args := in("id", ids)
	have, err := list(ctx, s.v, scanString, `SELECT id FROM concepts WHERE space_id = ? AND `+idIn, append([]any{space}, args...)...)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, id := range have {
		known[id] = true
	}
	var missing []string
	for _, id := range ids {
		if !known[id] {
			missing = append(missing, id)
			known[id] = true
		}
	}
	return missing, nil
}

func (s concepts) UpdateConcept(ctx context.Context, c *clavis.AppConcept) error {
	return s.v.inTx(ctx, func(v view) error {
		space, err := v.space(ctx, c.App, false)
		if err != nil {
			return err
		}
		res, err := v.exec(ctx, `UPDATE concepts SET name = ?, updated_at = ? WHERE space_id = ? AND id = ?`, c.Name, micros(c.UpdatedAt), space, c.ID)
		return v.affected(res, err, clavis.ConceptNotFound(c.ID))
	})
}
