package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// Partner is a partner account.
type Partner struct {
	ID        string
	Name      string
	Email     string
	WhatsApp  string
	CreatedAt time.Time
}

// OTPLock is the OTP lock-out state of one subject: a partner (counting
// across all of its contacts) or an unknown destination. See
// PartnerLockSubject and DestinationLockSubject.
type OTPLock struct {
	// Failures counts consecutive wrong codes.
	Failures int
	// LockedUntil is when OTP verification unlocks; zero when not locked.
	LockedUntil time.Time
}

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

// Session is a partner login.
type Session struct {
	ID        string
	TokenHash string
	PartnerID string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// Key is a stored API key. The secret itself is not kept, only SecretHash.
type Key struct {
	ID             string
	SecretHash     string
	PartnerID      string
	LineageID      string // shared by a key and every successor rotated from it
	Name           string
	Description    string
	Permissions    []string
	RateLimit      int
	Environment    string
	IPRestrictions []string
	KeyHint        string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	RevokedAt      time.Time
	RotatedFrom    string
	RotatedTo      string
	LastUsedAt     time.Time
	UsageCount     int64
}

// AuditEvent is one recorded management action.
type AuditEvent struct {
	ID        int64
	At        time.Time
	PartnerID string
	Actor     string // "session:<id>", "key:<key_id>" or "emulator"
	Action    string // login, logout, key.created, key.updated, key.rotated, key.revoked
	KeyID     string
	Detail    string
}

// Usage is pending usage of one key, added by AddUsage.
type Usage struct {
	Count  int64
	LastAt time.Time
}

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

// --- partners ---------------------------------------------------------------

const partnerColumns = `id, name, email, whatsapp, created_at`

func scanPartner(row rowScanner) (Partner, error) {
	var p Partner
	var created sql.NullInt64
	err := row.Scan(&p.ID, &p.Name, &p.Email, &p.WhatsApp, &created)
	p.CreatedAt = fromNanos(created)
	return p, err
}

// InsertPartner adds a partner.
func (q Queries) InsertPartner(ctx context.Context, p Partner) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO partners (`+partnerColumns+`) VALUES (?, ?, ?, ?, ?)`,
		p.ID, p.Name, p.Email, p.WhatsApp, nanos(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert partner: %w", err)
	}
	return nil
}

// PartnerByID returns a partner, or ErrNotFound.
func (q Queries) PartnerByID(ctx context.Context, id string) (Partner, error) {
	p, err := scanPartner(q.q.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners WHERE id = ?`, id))
	if err != nil {
		return Partner{}, fmt.Errorf("partner %s: %w", id, notFound(err))
	}
	return p, nil
}

// PartnerByContact returns the partner whose e-mail (channel "email") or
// WhatsApp number (otherwise) is dest, or ErrNotFound.
func (q Queries) PartnerByContact(ctx context.Context, channel, dest string) (Partner, error) {
	column := "whatsapp"
	if channel == "email" {
		column = "email"
	}
	p, err := scanPartner(q.q.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners WHERE `+column+` = ?`, dest))
	if err != nil {
		return Partner{}, fmt.Errorf("partner by %s: %w", channel, notFound(err))
	}
	return p, nil
}

// FirstPartner returns the oldest partner, or ErrNotFound.
func (q Queries) FirstPartner(ctx context.Context) (Partner, error) {
	p, err := scanPartner(q.q.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners ORDER BY created_at, id LIMIT 1`))
	if err != nil {
		return Partner{}, fmt.Errorf("first partner: %w", notFound(err))
	}
	return p, nil
}

// --- OTP lock-out -------------------------------------------------------------

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

// --- OTP challenges ---------------------------------------------------------

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

// --- sessions ---------------------------------------------------------------

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

// --- API keys ---------------------------------------------------------------

const keyColumns = `id, secret_hash, partner_id, lineage_id, name, description, permissions, rate_limit, environment,
	ip_restrictions, key_hint, created_at, expires_at, revoked_at, COALESCE(rotated_from, ''), COALESCE(rotated_to, ''),
	last_used_at, usage_count`

func scanKey(row rowScanner) (Key, error) {
	var k Key
	var perms, ips string
	var created, expires, revoked, lastUsed sql.NullInt64
	err := row.Scan(&k.ID, &k.SecretHash, &k.PartnerID, &k.LineageID, &k.Name, &k.Description, &perms, &k.RateLimit,
		&k.Environment, &ips, &k.KeyHint, &created, &expires, &revoked, &k.RotatedFrom, &k.RotatedTo, &lastUsed, &k.UsageCount)
	if err != nil {
		return Key{}, err
	}
	if err := json.Unmarshal([]byte(perms), &k.Permissions); err != nil {
		return Key{}, fmt.Errorf("decode permissions of %s: %w", k.ID, err)
	}
	if err := json.Unmarshal([]byte(ips), &k.IPRestrictions); err != nil {
		return Key{}, fmt.Errorf("decode ip_restrictions of %s: %w", k.ID, err)
	}
	k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.LastUsedAt = fromNanos(created), fromNanos(expires), fromNanos(revoked), fromNanos(lastUsed)
	return k, nil
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// InsertKey adds a key.
func (q Queries) InsertKey(ctx context.Context, k Key) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO api_keys (`+keyColumnsInsert+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.SecretHash, k.PartnerID, k.LineageID, k.Name, k.Description, jsonList(k.Permissions), k.RateLimit,
		k.Environment, jsonList(k.IPRestrictions), k.KeyHint, nanos(k.CreatedAt), nanos(k.ExpiresAt), nanos(k.RevokedAt),
		nullString(k.RotatedFrom), nullString(k.RotatedTo), nanos(k.LastUsedAt), k.UsageCount)
	if err != nil {
		return fmt.Errorf("insert key: %w", err)
	}
	return nil
}

const keyColumnsInsert = `id, secret_hash, partner_id, lineage_id, name, description, permissions, rate_limit, environment,
	ip_restrictions, key_hint, created_at, expires_at, revoked_at, rotated_from, rotated_to, last_used_at, usage_count`

// KeyByID returns a key, or ErrNotFound.
func (q Queries) KeyByID(ctx context.Context, id string) (Key, error) {
	k, err := scanKey(q.q.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
	if err != nil {
		return Key{}, fmt.Errorf("key %s: %w", id, notFound(err))
	}
	return k, nil
}

// KeyByHash returns the key whose secret hashes to hash, or ErrNotFound.
func (q Queries) KeyByHash(ctx context.Context, hash string) (Key, error) {
	k, err := scanKey(q.q.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE secret_hash = ?`, hash))
	if err != nil {
		return Key{}, fmt.Errorf("key by hash: %w", notFound(err))
	}
	return k, nil
}

// KeysOfPartner returns a partner's keys, newest first.
func (q Queries) KeysOfPartner(ctx context.Context, partnerID string) ([]Key, error) {
	return queryAll(ctx, q.q, "list keys", scanKey,
		`SELECT `+keyColumns+` FROM api_keys WHERE partner_id = ? ORDER BY created_at DESC, rowid DESC`, partnerID)
}

// KeysOfLineage returns the keys of a partner's lineage (a key and those
// rotated from it or to it), oldest first.
func (q Queries) KeysOfLineage(ctx context.Context, partnerID, lineageID string) ([]Key, error) {
	return queryAll(ctx, q.q, "list lineage", scanKey,
		`SELECT `+keyColumns+` FROM api_keys WHERE partner_id = ? AND lineage_id = ? ORDER BY created_at, rowid`, partnerID, lineageID)
}

// KeyFilter selects keys for KeysPage. Status (active, expired, revoked;
// empty for all) is judged at At, and only keys created by At are listed,
// so that the pages of one walk describe the keys as they were when it
// began, whatever is created or revoked meanwhile.
type KeyFilter struct {
	Environment string
	Status      string
	At          time.Time
}

// KeyPosition is where a page of keys ends: the created_at and rowid of
// its last key, in the list's order (newest first).
type KeyPosition struct {
	CreatedAt time.Time
	Row       int64
}

// KeysPage returns up to limit of a partner's keys matching f, newest
// first, after position after (the zero position: from the start), the
// position of the last one returned, and whether more keys follow it.
func (q Queries) KeysPage(ctx context.Context, partnerID string, f KeyFilter, after KeyPosition, limit int) ([]Key, KeyPosition, bool, error) {
	// created_at is in whole seconds: a key created in At's second after At
	// may be listed too. Revocations are kept to the nanosecond.
	where := `partner_id = ? AND created_at <= ?`
	at := f.At.UnixNano()
	args := []any{partnerID, at}
	if f.Environment != "" {
		where += ` AND environment = ?`
		args = append(args, f.Environment)
	}
	switch f.Status {
	case "active":
		where += ` AND (revoked_at IS NULL OR revoked_at > ?) AND expires_at > ?`
		args = append(args, at, at)
	case "expired":
		where += ` AND (revoked_at IS NULL OR revoked_at > ?) AND expires_at <= ?`
		args = append(args, at, at)
	case "revoked":
		where += ` AND revoked_at <= ?`
		args = append(args, at)
	}
	if !after.CreatedAt.IsZero() {
		where += ` AND (created_at, rowid) < (?, ?)`
		args = append(args, after.CreatedAt.UnixNano(), after.Row)
	}
	args = append(args, limit+1) // one more tells whether a next page exists
	type row struct {
		k   Key
		pos KeyPosition
	}
	rows, err := queryAll(ctx, q.q, "list keys", func(r rowScanner) (row, error) {
		var v row
		var err error
		v.k, err = scanKey(rowidScanner{r, &v.pos.Row})
		v.pos.CreatedAt = v.k.CreatedAt
		return v, err
	}, `SELECT `+keyColumns+`, rowid FROM api_keys WHERE `+where+` ORDER BY created_at DESC, rowid DESC LIMIT ?`, args...)
	if err != nil {
		return nil, KeyPosition{}, false, err
	}
	more := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	keys := make([]Key, len(rows))
	var last KeyPosition
	for i, r := range rows {
		keys[i], last = r.k, r.pos
	}
	return keys, last, more, nil
}

// rowidScanner scans a key row followed by its rowid.
type rowidScanner struct {
	r   rowScanner
	row *int64
}

func (s rowidScanner) Scan(dest ...any) error { return s.r.Scan(append(dest, s.row)...) }

// UpdateKeySettings writes a key's changeable settings.
func (q Queries) UpdateKeySettings(ctx context.Context, k Key) error {
	_, err := q.q.ExecContext(ctx, `UPDATE api_keys SET name = ?, description = ?, permissions = ?, rate_limit = ?,
		ip_restrictions = ?, expires_at = ? WHERE id = ?`,
		k.Name, k.Description, jsonList(k.Permissions), k.RateLimit, jsonList(k.IPRestrictions), nanos(k.ExpiresAt), k.ID)
	if err != nil {
		return fmt.Errorf("update key %s: %w", k.ID, err)
	}
	return nil
}

// RevokeKey revokes a key that is not yet revoked, reporting whether it did.
func (q Queries) RevokeKey(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := q.q.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at.UnixNano(), id)
	if err != nil {
		return false, fmt.Errorf("revoke key %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MarkRotated records that id was rotated to successor, setting its new
// expiry and (for an immediate rotation) its revocation time. It changes
// nothing and reports false when id was already rotated: of two concurrent
// rotations exactly one wins.
func (q Queries) MarkRotated(ctx context.Context, id, successor string, expiresAt, revokedAt time.Time) (bool, error) {
	res, err := q.q.ExecContext(ctx, `UPDATE api_keys SET rotated_to = ?, expires_at = ?, revoked_at = COALESCE(revoked_at, ?)
		WHERE id = ? AND rotated_to IS NULL`, successor, nanos(expiresAt), nanos(revokedAt), id)
	if err != nil {
		return false, fmt.Errorf("mark key %s rotated: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddUsage adds batched usage to keys in one transaction-friendly pass:
// usage_count grows by Count and last_used_at moves forward to LastAt.
func (q Queries) AddUsage(ctx context.Context, usage map[string]Usage) error {
	for id, u := range usage {
		_, err := q.q.ExecContext(ctx, `UPDATE api_keys SET usage_count = usage_count + ?,
			last_used_at = MAX(COALESCE(last_used_at, 0), ?) WHERE id = ?`, u.Count, u.LastAt.UnixNano(), id)
		if err != nil {
			return fmt.Errorf("add usage of %s: %w", id, err)
		}
	}
	return nil
}

// --- audit ------------------------------------------------------------------

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

// RotationEvents returns the key.rotated event of each key in ids that was
// rotated (its replacement), keyed by that key's id.
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
		out[e.KeyID] = e
	}
	return out, nil
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

// --- bounds -------------------------------------------------------------------

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
