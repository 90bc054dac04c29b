package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

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
	// PreRotationExpiresAt is a rotated key's expiry before the rotation
	// shortened it, kept so that the rotation can be undone; zero for a key
	// not rotated (or rotated before the store kept it).
	PreRotationExpiresAt time.Time
}

// Usage is pending usage of one key, added by AddUsage.
type Usage struct {
	Count  int64
	LastAt time.Time
}

const keyColumns = `id, secret_hash, partner_id, lineage_id, name, description, permissions, rate_limit, environment,
	ip_restrictions, key_hint, created_at, expires_at, revoked_at, COALESCE(rotated_from, ''), COALESCE(rotated_to, ''),
	last_used_at, usage_count, pre_rotation_expires_at`

func scanKey(row rowScanner) (Key, error) {
	var k Key
	var perms, ips string
	var created, expires, revoked, lastUsed, preRotation sql.NullInt64
	err := row.Scan(&k.ID, &k.SecretHash, &k.PartnerID, &k.LineageID, &k.Name, &k.Description, &perms, &k.RateLimit,
		&k.Environment, &ips, &k.KeyHint, &created, &expires, &revoked, &k.RotatedFrom, &k.RotatedTo, &lastUsed, &k.UsageCount, &preRotation)
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
	k.PreRotationExpiresAt = fromNanos(preRotation)
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
// expiry (the one it had is kept in pre_rotation_expires_at, for an undo)
// and (for an immediate rotation) its revocation time. It changes nothing
// and reports false when id was already rotated: of two concurrent
// rotations exactly one wins.
func (q Queries) MarkRotated(ctx context.Context, id, successor string, expiresAt, revokedAt time.Time) (bool, error) {
	res, err := q.q.ExecContext(ctx, `UPDATE api_keys SET rotated_to = ?, pre_rotation_expires_at = expires_at, expires_at = ?,
		revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND rotated_to IS NULL`, successor, nanos(expiresAt), nanos(revokedAt), id)
	if err != nil {
		return false, fmt.Errorf("mark key %s rotated: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UndoRotation undoes the rotation of predecessor to successor, both
// conditionally, so that of concurrent undos exactly one changes anything:
// the successor is revoked at at unless already revoked, and the
// predecessor, if still rotated to successor, not revoked, not expired at
// at and with its expiry before the rotation kept, gets that expiry back
// and is no longer marked rotated. It reports whether both changed; when
// not, the caller's transaction must be rolled back.
func (q Queries) UndoRotation(ctx context.Context, predecessor, successor string, at time.Time) (bool, error) {
	res, err := q.q.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ?
		WHERE id = ? AND rotated_from = ? AND revoked_at IS NULL AND rotated_to IS NULL`, at.UnixNano(), successor, predecessor)
	if err != nil {
		return false, fmt.Errorf("revoke successor %s: %w", successor, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	res, err = q.q.ExecContext(ctx, `UPDATE api_keys SET expires_at = pre_rotation_expires_at, pre_rotation_expires_at = NULL,
		rotated_to = NULL WHERE id = ? AND rotated_to = ? AND revoked_at IS NULL AND expires_at > ?
		AND pre_rotation_expires_at IS NOT NULL`, predecessor, successor, at.UnixNano())
	if err != nil {
		return false, fmt.Errorf("restore key %s: %w", predecessor, err)
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
