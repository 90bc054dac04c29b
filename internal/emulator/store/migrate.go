package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order; migrations[i] brings the schema to
// version i+1. Append only: never edit a migration that has shipped.
//
// Times are INTEGER Unix nanoseconds (UTC); NULL means "never".
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE meta (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
CREATE TABLE partners (
	id                   TEXT PRIMARY KEY,
	name                 TEXT NOT NULL,
	email                TEXT NOT NULL UNIQUE,
	whatsapp             TEXT NOT NULL UNIQUE,
	created_at           INTEGER NOT NULL,
	failed_verifications INTEGER NOT NULL DEFAULT 0,
	locked_until         INTEGER
);
CREATE TABLE otp_challenges (
	id            TEXT PRIMARY KEY,
	partner_id    TEXT REFERENCES partners(id) ON DELETE CASCADE,
	channel       TEXT NOT NULL,
	destination   TEXT NOT NULL,
	code_hash     TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL,
	attempts      INTEGER NOT NULL DEFAULT 0,
	used_at       INTEGER,
	superseded_at INTEGER
);
CREATE INDEX otp_challenges_destination ON otp_challenges (destination, created_at);
CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	partner_id TEXT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER
);
CREATE TABLE api_keys (
	id              TEXT PRIMARY KEY,
	secret_hash     TEXT NOT NULL UNIQUE,
	partner_id      TEXT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
	lineage_id      TEXT NOT NULL,
	name            TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	permissions     TEXT NOT NULL,
	rate_limit      INTEGER NOT NULL,
	environment     TEXT NOT NULL,
	ip_restrictions TEXT NOT NULL,
	key_hint        TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	revoked_at      INTEGER,
	rotated_from    TEXT,
	rotated_to      TEXT,
	last_used_at    INTEGER,
	usage_count     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_partner ON api_keys (partner_id, created_at);
CREATE TABLE audit_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	at         INTEGER NOT NULL,
	partner_id TEXT,
	actor      TEXT NOT NULL,
	action     TEXT NOT NULL,
	key_id     TEXT,
	detail     TEXT NOT NULL DEFAULT ''
);
`,
	// 2: the OTP lock-out counts per destination (every e-mail address or
	// number, a partner's or not) instead of per partner, so that it neither
	// tells registered contacts from others nor links a partner's contacts.
	// A partner's pending count and lock carry over to both its contacts.
	`
CREATE TABLE otp_locks (
	destination  TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER
);
INSERT INTO otp_locks (destination, failures, locked_until)
	SELECT email, failed_verifications, locked_until FROM partners
	WHERE failed_verifications > 0 OR locked_until IS NOT NULL
	UNION ALL
	SELECT whatsapp, failed_verifications, locked_until FROM partners
	WHERE failed_verifications > 0 OR locked_until IS NOT NULL;
ALTER TABLE partners DROP COLUMN failed_verifications;
ALTER TABLE partners DROP COLUMN locked_until;
`,
	// 3: back to docs/api.md's "20 consecutive failures for a partner": a lock
	// row is keyed by its subject, "partner:<id>" for a partner's contacts
	// and "dest:<destination>" for an unknown destination. The rows of a
	// partner's e-mail and number merge into the partner's (the higher
	// count and the later lock); the others become destination rows.
	`
CREATE TABLE otp_locks_v3 (
	subject      TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER
);
INSERT INTO otp_locks_v3 (subject, failures, locked_until)
	SELECT subject, MAX(failures), MAX(locked_until) FROM (
		SELECT COALESCE('partner:' || p.id, 'dest:' || l.destination) AS subject, l.failures, l.locked_until
		FROM otp_locks l LEFT JOIN partners p ON l.destination = p.email OR l.destination = p.whatsapp
	) GROUP BY subject;
DROP TABLE otp_locks;
ALTER TABLE otp_locks_v3 RENAME TO otp_locks;
`,
	// 4: indexes for what is now looked up or purged often: a key's
	// rotation events (shown with the key), and verifications by age (the
	// expired are purged; unknown destinations hold a bounded number).
	`
CREATE INDEX audit_events_key ON audit_events (key_id, action);
CREATE INDEX otp_challenges_expiry ON otp_challenges (expires_at);
CREATE INDEX otp_challenges_unknown ON otp_challenges (created_at) WHERE partner_id IS NULL;
`,
	// 5: usage statistics per key (docs/api.md "Usage"): request counts by
	// answer class per bucket (granularity 60, 3600 or 86400 seconds;
	// minutes roll up into hours and hours into days as they age), the
	// scopes checked per bucket, and the last client addresses.
	`
CREATE TABLE usage_buckets (
	key_id       TEXT NOT NULL,
	start        INTEGER NOT NULL,
	granularity  INTEGER NOT NULL,
	requests     INTEGER NOT NULL DEFAULT 0,
	ok           INTEGER NOT NULL DEFAULT 0,
	unauthorized INTEGER NOT NULL DEFAULT 0,
	forbidden    INTEGER NOT NULL DEFAULT 0,
	rate_limited INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (key_id, start, granularity)
) WITHOUT ROWID;
CREATE INDEX usage_buckets_age ON usage_buckets (granularity, start);
CREATE TABLE usage_scopes (
	key_id      TEXT NOT NULL,
	start       INTEGER NOT NULL,
	granularity INTEGER NOT NULL,
	scope       TEXT NOT NULL,
	count       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (key_id, start, granularity, scope)
) WITHOUT ROWID;
CREATE INDEX usage_scopes_age ON usage_scopes (granularity, start);
CREATE TABLE usage_ips (
	key_id    TEXT NOT NULL,
	ip        TEXT NOT NULL,
	requests  INTEGER NOT NULL DEFAULT 0,
	last_seen INTEGER NOT NULL,
	PRIMARY KEY (key_id, ip)
) WITHOUT ROWID;
`,
	// 6: a rotated key's expiry from before its rotation, so that the
	// rotation can be undone (docs/api.md, POST
	// /api-keys/{key_id}/rotation/undo). NULL for a key never rotated, and
	// for one rotated before this version: that rotation cannot be undone.
	`
ALTER TABLE api_keys ADD COLUMN pre_rotation_expires_at INTEGER;
`,
}

// migrate brings the database to the latest schema version, one migration
// per transaction, recording each in schema_version.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this zupy (%d): upgrade zupy", current, len(migrations))
	}
	for v := current; v < len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, v+1); err != nil {
			tx.Rollback()
			return fmt.Errorf("record schema version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit schema version %d: %w", v+1, err)
		}
	}
	return nil
}

// SchemaVersion is the latest schema version this code knows.
func SchemaVersion() int { return len(migrations) }
