package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// AuditEvent is one recorded management action.
type AuditEvent struct {
	ID        int64
	At        time.Time
	PartnerID string
	Actor     string // "session:<id>", "key:<key_id>" or "emulator"
	Action    string // login, logout, key.created, key.updated, key.rotated, key.rotation_undone, key.revoked
	KeyID     string
	Detail    string
}

// InsertAudit records a management action.
func (q Queries) InsertAudit(ctx context.Context, e AuditEvent) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO audit_events (at, partner_id, actor, action, key_id, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		nanos(e.At), nullString(e.PartnerID), e.Actor, e.Action, nullString(e.KeyID), e.Detail)
	if err != nil {
		return fmt.Errorf("insert audit event: %w", err)
	}
	return nil
}

// AuditEvents returns every audit event, oldest first.
func (q Queries) AuditEvents(ctx context.Context) ([]AuditEvent, error) {
	return queryAll(ctx, q.q, "list audit events", scanAuditEvent,
		`SELECT `+auditColumns+` FROM audit_events ORDER BY id`)
}

// RotationEvents returns the key.rotated events of the keys in ids (keys
// that were rotated), keyed by the successor each made (the detail's
// successor=): a key rotated, undone and rotated again has one event per
// successor, and each successor finds its own.
func (q Queries) RotationEvents(ctx context.Context, ids []string) (map[string]AuditEvent, error) {
	out := make(map[string]AuditEvent, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	events, err := queryAll(ctx, q.q, "rotation events", scanAuditEvent,
		`SELECT `+auditColumns+` FROM audit_events WHERE action = 'key.rotated' AND key_id IN (`+marks+`) ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		out[RotationSuccessor(e)] = e
	}
	return out, nil
}

// RotationSuccessor is the successor named by a key.rotated or
// key.rotation_undone event's detail ("successor=<key_id> …").
func RotationSuccessor(e AuditEvent) string {
	for _, f := range strings.Fields(e.Detail) {
		if id, ok := strings.CutPrefix(f, "successor="); ok {
			return id
		}
	}
	return ""
}

// auditColumns are the columns scanAuditEvent reads, in its order.
const auditColumns = `id, at, COALESCE(partner_id, ''), actor, action, COALESCE(key_id, ''), detail`

func scanAuditEvent(row rowScanner) (AuditEvent, error) {
	var e AuditEvent
	var at sql.NullInt64
	if err := row.Scan(&e.ID, &at, &e.PartnerID, &e.Actor, &e.Action, &e.KeyID, &e.Detail); err != nil {
		return AuditEvent{}, err
	}
	e.At = fromNanos(at)
	return e, nil
}
