package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Session is a partner login.
type Session struct {
	ID        string
	TokenHash string
	PartnerID string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// InsertSession adds a session.
func (q Queries) InsertSession(ctx context.Context, s Session) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, partner_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		s.ID, s.TokenHash, s.PartnerID, nanos(s.CreatedAt), nanos(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// SessionByHash returns the session whose token hashes to hash, or ErrNotFound.
func (q Queries) SessionByHash(ctx context.Context, hash string) (Session, error) {
	var s Session
	var created, expires, revoked sql.NullInt64
	err := q.q.QueryRowContext(ctx, `SELECT id, token_hash, partner_id, created_at, expires_at, revoked_at FROM sessions WHERE token_hash = ?`, hash).Scan(
		&s.ID, &s.TokenHash, &s.PartnerID, &created, &expires, &revoked)
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", notFound(err))
	}
	s.CreatedAt, s.ExpiresAt, s.RevokedAt = fromNanos(created), fromNanos(expires), fromNanos(revoked)
	return s, nil
}

// RevokeSession ends a session.
func (q Queries) RevokeSession(ctx context.Context, id string, at time.Time) error {
	if _, err := q.q.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at.UnixNano(), id); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}
