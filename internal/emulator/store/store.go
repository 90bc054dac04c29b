// Package store is the SQLite persistence of the Zupy emulator: partners,
// one-time-code challenges, sessions, API keys and audit events.
//
// Secrets never reach the database in clear: API keys, session tokens and
// OTP codes are stored only as HMAC-SHA256 values under a random per-database
// secret (see Hash). Every method returns only after its write is committed.
package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// FileName is the name of the database file inside the data directory.
const FileName = "zupy-emulator.db"

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Options say where the database lives.
type Options struct {
	// Dir is the data directory (created 0700); the database is Dir/FileName.
	Dir string
	// InMemory keeps the database in memory for the life of the Store; Dir is
	// ignored.
	InMemory bool
}

// Store is the emulator database. Its embedded Queries run each statement in
// its own implicit transaction; Update runs several atomically.
type Store struct {
	Queries
	db     *sql.DB
	keeper *sql.Conn // in-memory mode: pins the database for the Store's life
	lock   *os.File  // on disk: the data directory's lock (lockDir), held until Close
	secret []byte
	macs   sync.Pool // of *macState keyed with secret; see Hash
}

// macState is an HMAC-SHA256 keyed with the Store's secret and the scratch
// space of one Hash call.
type macState struct {
	mac hash.Hash
	in  []byte
	sum [sha256.Size]byte
}

// maxPooledInput bounds the scratch input a pooled macState keeps.
const maxPooledInput = 1 << 10

// Open opens (creating and migrating if needed) the database.
//
// The pool holds a single working connection: SQLite admits one writer at a
// time anyway, and one connection makes every write transaction strictly
// serial, so no SQLITE_BUSY can surface. The price is the rule stated on
// Update: never call the Store from inside an Update function.
//
// Journal: WAL with synchronous=NORMAL. A commit is appended to the WAL with a
// write(2) before the statement returns, so a killed process (kill -9) loses
// no acknowledged write; only a power loss or OS crash can lose the last
// commits, which is acceptable for a local emulator.
func Open(ctx context.Context, opts Options) (*Store, error) {
	pragmas := url.Values{}
	for _, p := range []string{"foreign_keys(1)", "busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)"} {
		pragmas.Add("_pragma", p)
	}
	var dsn string
	var lock *os.File
	maxConns := 1
	if opts.InMemory {
		name := make([]byte, 12)
		if _, err := rand.Read(name); err != nil {
			return nil, fmt.Errorf("name in-memory database: %w", err)
		}
		pragmas.Set("mode", "memory")
		pragmas.Set("cache", "shared")
		dsn = "file:zupy-emulator-" + hex.EncodeToString(name) + "?" + pragmas.Encode()
		maxConns = 2 // one pinned by the keeper, one working
	} else {
		if opts.Dir == "" {
			return nil, errors.New("open store: no data directory")
		}
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		// One Store per data directory: a second emulator on it would keep
		// a key cache that the first one's revocations never reach.
		var err error
		if lock, err = lockDir(opts.Dir); err != nil {
			return nil, err
		}
		path := filepath.Join(opts.Dir, FileName)
		// Create the file ourselves so it is private from the start; SQLite
		// gives the -wal and -shm files the same mode.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			lock.Close()
			return nil, fmt.Errorf("create database file: %w", err)
		}
		f.Close()
		dsn = "file:" + path + "?" + pragmas.Encode()
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &Store{Queries: Queries{q: db}, db: db, lock: lock}
	if opts.InMemory {
		if s.keeper, err = db.Conn(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("pin in-memory database: %w", err)
		}
	}
	if err := migrate(ctx, db); err != nil {
		s.Close()
		return nil, err
	}
	if s.secret, err = loadSecret(ctx, db); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if s.keeper != nil {
		s.keeper.Close()
	}
	err := s.db.Close()
	// After the database: the next Store on the directory finds it closed.
	if s.lock != nil {
		s.lock.Close()
	}
	if err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Hash is the stored form of a secret value (API key, session token, OTP
// code): its hex HMAC-SHA256 under the database's secret, as
// apikey.Hash(secret, value). Every key verification computes one, so the
// keyed HMAC is reused (Reset restores it to just after the key) rather than
// rebuilt, leaving the returned string as the only allocation.
func (s *Store) Hash(value string) string {
	m, _ := s.macs.Get().(*macState)
	if m == nil {
		m = &macState{mac: hmac.New(sha256.New, s.secret)}
	}
	m.mac.Reset()
	m.in = append(m.in[:0], value...)
	m.mac.Write(m.in)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], m.mac.Sum(m.sum[:0]))
	if cap(m.in) <= maxPooledInput {
		s.macs.Put(m)
	}
	return string(out[:])
}

// Tx is a write transaction; its Queries see and change the transaction's
// state.
type Tx struct{ Queries }

// Update runs fn in one write transaction, committed when fn returns nil and
// rolled back otherwise. fn must use only tx: calling the Store from inside
// fn waits forever for the single connection.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(&Tx{Queries{q: sqlTx}}); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Reset deletes every row except the HMAC secret, in one transaction.
func (s *Store) Reset(ctx context.Context) error {
	return s.Update(ctx, func(tx *Tx) error {
		for _, table := range []string{"usage_buckets", "usage_scopes", "usage_ips", "audit_events", "sessions", "otp_challenges", "otp_locks", "api_keys", "partners"} {
			if _, err := tx.q.ExecContext(ctx, "DELETE FROM "+table); err != nil {
				return fmt.Errorf("reset %s: %w", table, err)
			}
		}
		return nil
	})
}

func loadSecret(ctx context.Context, db *sql.DB) ([]byte, error) {
	var secret []byte
	err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'hmac_secret'`).Scan(&secret)
	if err == nil {
		return secret, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read hmac secret: %w", err)
	}
	secret = make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generate hmac secret: %w", err)
	}
	// INSERT OR IGNORE + re-read: harmless if two processes race on first start.
	if _, err := db.ExecContext(ctx, `INSERT OR IGNORE INTO meta (name, value) VALUES ('hmac_secret', ?)`, secret); err != nil {
		return nil, fmt.Errorf("store hmac secret: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'hmac_secret'`).Scan(&secret); err != nil {
		return nil, fmt.Errorf("read hmac secret: %w", err)
	}
	return secret, nil
}

// Clock is the emulator's clock as stored with the data: the offset added to
// the host's clock, and the latest emulator time known to have been shown
// (a floor that the clock never goes below after a restart, even if the
// host's clock was set back).
type Clock struct {
	Offset time.Duration
	Floor  time.Time
}

// LoadClock returns the stored clock; the zero Clock on a new database.
func (s *Store) LoadClock(ctx context.Context) (Clock, error) {
	var c Clock
	rows, err := s.db.QueryContext(ctx, `SELECT name, value FROM meta WHERE name IN ('clock_offset', 'clock_floor')`)
	if err != nil {
		return c, fmt.Errorf("read clock: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return c, fmt.Errorf("read clock: %w", err)
		}
		if name == "clock_offset" {
			c.Offset = time.Duration(v)
		} else {
			c.Floor = time.Unix(0, v).UTC()
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("read clock: %w", err)
	}
	return c, nil
}

// SaveClock stores c; each value only ever grows, so of two concurrent saves
// the later time wins whatever the order of their commits.
func (s *Store) SaveClock(ctx context.Context, c Clock) error {
	return s.Update(ctx, func(tx *Tx) error {
		for _, kv := range []struct {
			name string
			v    int64
		}{{"clock_offset", int64(c.Offset)}, {"clock_floor", c.Floor.UnixNano()}} {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES (?, ?)
				ON CONFLICT (name) DO UPDATE SET value = MAX(CAST(value AS INTEGER), excluded.value)`, kv.name, kv.v); err != nil {
				return fmt.Errorf("store clock: %w", err)
			}
		}
		return nil
	})
}

// IsDiskFailure reports whether err is SQLite failing on its files: a full
// disk, a read-only file or directory, an I/O error, a file it cannot open.
func IsDiskFailure(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary result code
	case 8, 10, 13, 14: // SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN
		return true
	}
	return false
}
