package store

import "context"

// The reads of the emulator's dashboard: every partner and every key, not
// one partner's.

// Partners returns every partner, oldest first.
func (q Queries) Partners(ctx context.Context) ([]Partner, error) {
	return queryAll(ctx, q.q, "list partners", scanPartner,
		`SELECT `+partnerColumns+` FROM partners ORDER BY created_at, id`)
}

// AllKeys returns every key of every partner, newest first.
func (q Queries) AllKeys(ctx context.Context) ([]Key, error) {
	return queryAll(ctx, q.q, "list keys", scanKey,
		`SELECT `+keyColumns+` FROM api_keys ORDER BY created_at DESC, rowid DESC`)
}

// RecentAuditEvents returns the last n audit events, newest first.
func (q Queries) RecentAuditEvents(ctx context.Context, n int) ([]AuditEvent, error) {
	return queryAll(ctx, q.q, "list audit events", scanAuditEvent,
		`SELECT `+auditColumns+` FROM audit_events ORDER BY id DESC LIMIT ?`, n)
}
