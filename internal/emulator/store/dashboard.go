package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The reads of the emulator's dashboard: every partner and every key, not
// one partner's.

// Partners returns every partner, oldest first.
func (q Queries) Partners(ctx context.Context) ([]Partner, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+partnerColumns+` FROM partners ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	defer rows.Close()
	var out []Partner
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, fmt.Errorf("list partners: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	return out, nil
}

// AllKeys returns every key of every partner, newest first.
func (q Queries) AllKeys(ctx context.Context) ([]Key, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at DESC, rowid DESC`)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return out, nil
}

// RecentAuditEvents returns the last n audit events, newest first.
func (q Queries) RecentAuditEvents(ctx context.Context, n int) ([]AuditEvent, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT id, at, COALESCE(partner_id, ''), actor, action, COALESCE(key_id, ''), detail
		FROM audit_events ORDER BY id DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.PartnerID, &e.Actor, &e.Action, &e.KeyID, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
