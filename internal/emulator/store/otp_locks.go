package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OTPLock is the OTP lock-out state of one subject: a partner (counting
// across all of its contacts) or an unknown destination. See
// PartnerLockSubject and DestinationLockSubject.
type OTPLock struct {
	// Failures counts consecutive wrong codes.
	Failures int
	// LockedUntil is when OTP verification unlocks; zero when not locked.
	LockedUntil time.Time
}

// PartnerLockSubject is the lock-out subject of a partner: every challenge
// sent to one of its contacts counts here.
func PartnerLockSubject(partnerID string) string { return "partner:" + partnerID }

// DestinationLockSubject is the lock-out subject of a destination that
// belongs to no partner (dest normalised).
func DestinationLockSubject(dest string) string { return "dest:" + dest }

// OTPLockOf returns the lock-out state of subject; the zero OTPLock if none.
func (q Queries) OTPLockOf(ctx context.Context, subject string) (OTPLock, error) {
	var l OTPLock
	var locked sql.NullInt64
	err := q.q.QueryRowContext(ctx, `SELECT failures, locked_until FROM otp_locks WHERE subject = ?`, subject).Scan(&l.Failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return OTPLock{}, nil
	}
	if err != nil {
		return OTPLock{}, fmt.Errorf("otp lock: %w", err)
	}
	l.LockedUntil = fromNanos(locked)
	return l, nil
}

// SetOTPLock stores the lock-out state of subject; the zero OTPLock deletes it.
func (q Queries) SetOTPLock(ctx context.Context, subject string, l OTPLock) error {
	var err error
	if l.Failures == 0 && l.LockedUntil.IsZero() {
		_, err = q.q.ExecContext(ctx, `DELETE FROM otp_locks WHERE subject = ?`, subject)
	} else {
		_, err = q.q.ExecContext(ctx, `INSERT INTO otp_locks (subject, failures, locked_until) VALUES (?, ?, ?)
			ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`,
			subject, l.Failures, nanos(l.LockedUntil))
	}
	if err != nil {
		return fmt.Errorf("update otp lock: %w", err)
	}
	return nil
}

// PurgeDestinationLocks deletes, when there are more than max lock-out rows
// of unknown destinations, those that are not locked at now and whose
// destination has no challenge left.
func (q Queries) PurgeDestinationLocks(ctx context.Context, now time.Time, max int) error {
	var n int
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM otp_locks WHERE subject LIKE 'dest:%'`).Scan(&n); err != nil {
		return fmt.Errorf("count otp locks: %w", err)
	}
	if n <= max {
		return nil
	}
	_, err := q.q.ExecContext(ctx, `DELETE FROM otp_locks WHERE subject LIKE 'dest:%' AND (locked_until IS NULL OR locked_until <= ?)
		AND NOT EXISTS (SELECT 1 FROM otp_challenges c WHERE c.destination = substr(otp_locks.subject, 6))`, now.UnixNano())
	if err != nil {
		return fmt.Errorf("purge otp locks: %w", err)
	}
	return nil
}
