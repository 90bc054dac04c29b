package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Queries are the statements of the store, run on the database or inside a
// transaction.
type Queries struct{ q querier }

func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// rowScanner is what a scan function reads one row from: *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(...any) error }

// queryAll runs a query and scans every row with scan; what names the query in
// errors ("list keys").
func queryAll[T any](ctx context.Context, q querier, what string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Rows counts the rows of table (one of the store's tables), for tests and
// the dashboard.
func (q Queries) Rows(ctx context.Context, table string) (int, error) {
	switch table {
	case "partners", "otp_challenges", "otp_locks", "sessions", "api_keys", "audit_events", "usage_buckets", "usage_scopes", "usage_ips":
	default:
		return 0, fmt.Errorf("count rows: no table %q", table)
	}
	var n int
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}
