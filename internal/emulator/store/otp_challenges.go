package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Challenge is one OTP code sent (or, for an unknown destination, pretended
// to be sent: PartnerID is empty and the code was never delivered).
type Challenge struct {
	ID           string
	PartnerID    string
	Channel      string
	Destination  string
	CodeHash     string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	Attempts     int
	UsedAt       time.Time
	SupersededAt time.Time
}

const challengeColumns = `id, COALESCE(partner_id, ''), channel, destination, code_hash, created_at, expires_at, attempts, used_at, superseded_at`

// InsertChallenge adds a challenge.
func (q Queries) InsertChallenge(ctx context.Context, c Challenge) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO otp_challenges (id, partner_id, channel, destination, code_hash, created_at, expires_at, attempts, used_at, superseded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, nullString(c.PartnerID), c.Channel, c.Destination, c.CodeHash, nanos(c.CreatedAt), nanos(c.ExpiresAt),
		c.Attempts, nanos(c.UsedAt), nanos(c.SupersededAt))
	if err != nil {
		return fmt.Errorf("insert otp challenge: %w", err)
	}
	return nil
}

// ChallengeByID returns a challenge, or ErrNotFound.
func (q Queries) ChallengeByID(ctx context.Context, id string) (Challenge, error) {
	var c Challenge
	var created, expires, used, superseded sql.NullInt64
	err := q.q.QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM otp_challenges WHERE id = ?`, id).Scan(
		&c.ID, &c.PartnerID, &c.Channel, &c.Destination, &c.CodeHash, &created, &expires, &c.Attempts, &used, &superseded)
	if err != nil {
		return Challenge{}, fmt.Errorf("otp challenge: %w", notFound(err))
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt, c.SupersededAt = fromNanos(created), fromNanos(expires), fromNanos(used), fromNanos(superseded)
	return c, nil
}

// RecentSends reports the challenges created for dest at or after since: how
// many, and when the oldest and the latest were created.
func (q Queries) RecentSends(ctx context.Context, dest string, since time.Time) (n int, oldest, latest time.Time, err error) {
	var lo, hi sql.NullInt64
	err = q.q.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM otp_challenges
		WHERE destination = ? AND created_at >= ?`, dest, since.UnixNano()).Scan(&n, &lo, &hi)
	if err != nil {
		return 0, time.Time{}, time.Time{}, fmt.Errorf("count otp sends: %w", err)
	}
	return n, fromNanos(lo), fromNanos(hi), nil
}

// LatestSend is when the last challenge for dest was created; zero if never.
func (q Queries) LatestSend(ctx context.Context, dest string) (time.Time, error) {
	var hi sql.NullInt64
	if err := q.q.QueryRowContext(ctx, `SELECT MAX(created_at) FROM otp_challenges WHERE destination = ?`, dest).Scan(&hi); err != nil {
		return time.Time{}, fmt.Errorf("latest otp send: %w", err)
	}
	return fromNanos(hi), nil
}

// SupersedeChallenges marks every open challenge for dest superseded.
func (q Queries) SupersedeChallenges(ctx context.Context, dest string, at time.Time) error {
	_, err := q.q.ExecContext(ctx, `UPDATE otp_challenges SET superseded_at = ?
		WHERE destination = ? AND used_at IS NULL AND superseded_at IS NULL`, at.UnixNano(), dest)
	if err != nil {
		return fmt.Errorf("supersede otp challenges: %w", err)
	}
	return nil
}

// RecordWrongAttempt adds one wrong attempt to a challenge that has fewer than
// maxAttempts, reporting whether it counted (false: already dead or gone).
func (q Queries) RecordWrongAttempt(ctx context.Context, id string, maxAttempts int) (bool, error) {
	res, err := q.q.ExecContext(ctx, `UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = ? AND attempts < ?`, id, maxAttempts)
	if err != nil {
		return false, fmt.Errorf("record otp attempt: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ConsumeChallenge marks a challenge used if it is still usable at now (not
// used, not superseded, not expired, fewer than maxAttempts wrong attempts).
// It reports whether this call consumed it: of two concurrent calls exactly
// one sees true.
func (q Queries) ConsumeChallenge(ctx context.Context, id string, now time.Time, maxAttempts int) (bool, error) {
	res, err := q.q.ExecContext(ctx, `UPDATE otp_challenges SET used_at = ?
		WHERE id = ? AND used_at IS NULL AND superseded_at IS NULL AND expires_at > ? AND attempts < ?`,
		now.UnixNano(), id, now.UnixNano(), maxAttempts)
	if err != nil {
		return false, fmt.Errorf("consume otp challenge: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PurgeChallenges deletes the challenges that expired before now and were
// created before since (older than any window they are still counted in).
func (q Queries) PurgeChallenges(ctx context.Context, now, since time.Time) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM otp_challenges WHERE expires_at < ? AND created_at < ?`, now.UnixNano(), since.UnixNano())
	if err != nil {
		return fmt.Errorf("purge otp challenges: %w", err)
	}
	return nil
}

// CapUnknownChallenges keeps the newest max challenges of destinations that
// belong to no partner and deletes the rest.
func (q Queries) CapUnknownChallenges(ctx context.Context, max int) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM otp_challenges WHERE partner_id IS NULL AND (created_at, rowid) <= (
		SELECT created_at, rowid FROM otp_challenges WHERE partner_id IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1 OFFSET ?)`, max)
	if err != nil {
		return fmt.Errorf("cap unknown otp challenges: %w", err)
	}
	return nil
}
