package sqlstore

import (
	"context"
	"strings"
)

// maxParams bounds the parameters of one statement: SQLite's default limit
// (SQLITE_MAX_VARIABLE_NUMBER) is 32766, PostgreSQL's 65535.
const maxParams = 32766

// rowChunks are the row counts of the statements a multi-row insert is cut
// into, largest first: a few fixed sizes, so that a statement cache holds a
// handful of statements per table rather than one per batch size.
var rowChunks = []int{256, 64, 16, 4, 1}

// insert is a multi-row INSERT: head ("INSERT INTO t (a, b)"), the tuple of
// one row ("(?, ?)", literals allowed) and what follows the VALUES list
// ("ON CONFLICT ...", or "").
type insert struct{ head, tuple, tail string }

// width returns the parameters of one row.
func (q insert) width() int { return strings.Count(q.tuple, "?") }

// sql returns the statement of n rows.
func (q insert) sql(n int) string {
	var b strings.Builder
	b.Grow(len(q.head) + len(q.tail) + 8 + n*(len(q.tuple)+2))
	b.WriteString(q.head)
	b.WriteString(" VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q.tuple)
	}
	if q.tail != "" {
		b.WriteByte(' ')
		b.WriteString(q.tail)
	}
	return b.String()
}

// insertRows inserts rows, each of q.width() values, in as few statements
// as the engines' parameter limits and rowChunks allow. A statement that
// fails ends it: insertRows returns its error as the driver gave it,
// with the rows of that statement, for the caller to classify (v.failed)
// and to name in its message.
func (v view) insertRows(ctx context.Context, q insert, rows [][]any) ([][]any, error) {
	return v.insertRowsScan(ctx, q, rows, nil)
}

// insertRowsScan is insertRows for an insert that returns rows (q.tail
// ends in RETURNING): scan reads each.
func (v view) insertRowsScan(ctx context.Context, q insert, rows [][]any, scan func(scanner) error) ([][]any, error) {
	w := q.width()
	args := make([]any, 0, min(len(rows), rowChunks[0])*w)
	for len(rows) > 0 {
		n := 1
		for _, c := range rowChunks {
			if c <= len(rows) && c*w <= maxParams {
				n = c
				break
			}
		}
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if err := v.run(ctx, q.sql(n), args, scan); err != nil {
			return rows[:n], err
		}
		rows = rows[n:]
	}
	return nil, nil
}

// run executes one statement; with scan, a query whose rows scan reads.
func (v view) run(ctx context.Context, query string, args []any, scan func(scanner) error) error {
	if scan == nil {
		_, err := v.exec(ctx, query, args...)
		return err
	}
	rows, err := v.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
