package postgres

import "context"

// TerminateListeners ends every notification listener's connection to d's
// database, as a network failure or a server restart would.
func TerminateListeners(ctx context.Context, d *DB) error {
	_, err := d.db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, ListenerName)
	return err
}
