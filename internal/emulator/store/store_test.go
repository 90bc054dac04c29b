package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
)

func TestReopenKeepsSchemaAndSecret(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	h1 := s.Hash("zup_live_sk_x")
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q %v", mode, err)
	}
	var fk int
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys %d %v", fk, err)
	}
	s.Close()
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v %v", info.Mode().Perm(), err)
	}
	s, err = Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Hash("zup_live_sk_x") != h1 {
		t.Fatal("the HMAC secret changed across restarts: every stored key would be lost")
	}
	var v int
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_version").Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("schema version %d %v", v, err)
	}
}

func TestInMemoryStoresAreSeparate(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p := Partner{ID: "ptn_1", Name: "n", Email: "a@b.co", WhatsApp: "+5511999990000", CreatedAt: time.Now()}
	if err := a.InsertPartner(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PartnerByID(ctx, "ptn_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PartnerByID(ctx, "ptn_1"); err == nil {
		t.Fatal("two in-memory stores share data")
	}
}

func TestConsumeChallengeSucceedsOnce(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	c := Challenge{ID: "ver_1", Channel: "email", Destination: "a@b.co", CodeHash: s.Hash("123456"), CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := s.InsertChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		got, err := s.ConsumeChallenge(ctx, "ver_1", now, 5)
		if err != nil || got != want {
			t.Fatalf("consume %d: %v %v", i, got, err)
		}
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.db.ExecContext(ctx, "INSERT INTO schema_version (version) VALUES (999)")
	s.Close()
	if s, err := Open(ctx, Options{Dir: dir}); err == nil {
		s.Close()
		t.Fatal("opened a database from a newer zupy")
	}
}

// TestHashReusesNoStateAcrossCalls pins that the pooled HMAC of Hash answers
// exactly apikey.Hash under the store's secret, whatever ran before it on
// the same pooled state and from many goroutines at once.
func TestHashReusesNoStateAcrossCalls(t *testing.T) {
	s, err := Open(context.Background(), Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	values := []string{"", "123456", "zup_live_sk_x", strings.Repeat("long", 400), "zup_test_sk_y"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				v := values[(g+i)%len(values)] + fmt.Sprint(i%3)
				if got, want := s.Hash(v), apikey.Hash(s.secret, v); got != want {
					t.Errorf("Hash(%.20q) = %s, want %s", v, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// rebuildAt recreates the database in dir at schema version v (applying
// only migrations 1..v), then runs rows, and returns the store reopened at
// the latest version.
func rebuildAt(t *testing.T, v int, rows ...string) *Store {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`DROP TABLE audit_events`, `DROP TABLE api_keys`, `DROP TABLE sessions`, `DROP TABLE otp_challenges`,
		`DROP TABLE otp_locks`, `DROP TABLE partners`, `DROP TABLE meta`, `DROP TABLE usage_buckets`, `DROP TABLE usage_scopes`,
		`DROP TABLE usage_ips`, `DELETE FROM schema_version`}
	for i := range v {
		stmts = append(stmts, migrations[i], fmt.Sprintf(`INSERT INTO schema_version (version) VALUES (%d)`, i+1))
	}
	for _, q := range append(stmts, rows...) {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()
	if s, err = Open(ctx, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// checkLocks checks the lock rows are exactly the non-zero ones of want (a
// zero OTPLock in want is a subject that must have no row).
func checkLocks(t *testing.T, s *Store, want map[string]OTPLock) {
	t.Helper()
	rows := 0
	for subject, w := range want {
		got, err := s.OTPLockOf(context.Background(), subject)
		if err != nil || got.Failures != w.Failures || !got.LockedUntil.Equal(w.LockedUntil) {
			t.Errorf("%s: %+v %v, want %+v", subject, got, err, w)
		}
		if w != (OTPLock{}) {
			rows++
		}
	}
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM otp_locks`).Scan(&n); err != nil || n != rows {
		t.Errorf("%d lock rows, want %d (%v)", n, rows, err)
	}
}

// TestMigrationKeepsPartnerLocksFromVersion1 pins migrations 2 and 3 from a
// version-1 database: a partner's pending OTP failures and lock, kept on the
// partner row, end up on the partner's lock subject.
func TestMigrationKeepsPartnerLocksFromVersion1(t *testing.T) {
	until := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := rebuildAt(t, 1,
		fmt.Sprintf(`INSERT INTO partners VALUES ('ptn_1', 'n', 'a@b.co', '+5511999990000', 1, 0, %d)`, until.UnixNano()),
		`INSERT INTO partners VALUES ('ptn_2', 'm', 'c@d.co', '+5511999990001', 1, 7, NULL)`,
		`INSERT INTO partners VALUES ('ptn_3', 'o', 'e@f.co', '+5511999990002', 1, 0, NULL)`,
	)
	checkLocks(t, s, map[string]OTPLock{
		PartnerLockSubject("ptn_1"): {LockedUntil: until},
		PartnerLockSubject("ptn_2"): {Failures: 7},
		PartnerLockSubject("ptn_3"): {},
	})
	if _, err := s.PartnerByID(context.Background(), "ptn_1"); err != nil {
		t.Fatal(err)
	}
}

// TestMigration3MergesDestinationLocksIntoPartners pins migration 3: the
// per-destination rows of version 2 merge into their partner's (the higher
// count, the later lock); rows of unknown destinations stay per destination.
func TestMigration3MergesDestinationLocksIntoPartners(t *testing.T) {
	until := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := rebuildAt(t, 2,
		`INSERT INTO partners VALUES ('ptn_1', 'n', 'a@b.co', '+5511999990000', 1)`,
		`INSERT INTO partners VALUES ('ptn_2', 'm', 'c@d.co', '+5511999990001', 1)`,
		`INSERT INTO partners VALUES ('ptn_3', 'o', 'e@f.co', '+5511999990002', 1)`,
		fmt.Sprintf(`INSERT INTO otp_locks VALUES ('a@b.co', 0, %d)`, until.UnixNano()),
		`INSERT INTO otp_locks VALUES ('+5511999990000', 3, NULL)`,
		`INSERT INTO otp_locks VALUES ('c@d.co', 9, NULL)`,
		`INSERT INTO otp_locks VALUES ('+5511999990001', 4, NULL)`,
		`INSERT INTO otp_locks VALUES ('stranger@example.org', 7, NULL)`,
		fmt.Sprintf(`INSERT INTO otp_locks VALUES ('+5511988887777', 0, %d)`, until.UnixNano()),
	)
	checkLocks(t, s, map[string]OTPLock{
		PartnerLockSubject("ptn_1"):                    {Failures: 3, LockedUntil: until},
		PartnerLockSubject("ptn_2"):                    {Failures: 9},
		PartnerLockSubject("ptn_3"):                    {},
		DestinationLockSubject("stranger@example.org"): {Failures: 7},
		DestinationLockSubject("+5511988887777"):       {LockedUntil: until},
	})
}

// TestMigration6KeepsRotationsMadeBeforeItButCannotUndoThem pins migration
// 6 on a version-5 database holding a rotation in its grace: the keys read
// as before, the expiry from before that rotation is unknown (NULL), so
// UndoRotation changes nothing; a rotation made after the migration keeps
// it, and UndoRotation restores it once, clearing rotated_to.
func TestMigration6KeepsRotationsMadeBeforeItButCannotUndoThem(t *testing.T) {
	ctx := context.Background()
	created := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	grace, year := created.Add(time.Hour), created.AddDate(1, 0, 0)
	row := func(id, from, to string, expires time.Time) string {
		return fmt.Sprintf(`INSERT INTO api_keys (id, secret_hash, partner_id, lineage_id, name, permissions, rate_limit, environment,
			ip_restrictions, key_hint, created_at, expires_at, rotated_from, rotated_to) VALUES ('%s', 'h_%s', 'ptn_1', 'key_old000000', 'n',
			'["loyalty:read"]', 100, 'production', '[]', 'zup_live_sk_…0000', %d, %d, %s, %s)`, id, id, created.UnixNano(), expires.UnixNano(), from, to)
	}
	s := rebuildAt(t, 5,
		`INSERT INTO partners VALUES ('ptn_1', 'n', 'a@b.co', '+5511999990000', 1)`,
		row("key_old000000", "NULL", "'key_new000000'", grace),
		row("key_new000000", "'key_old000000'", "NULL", year),
	)
	old, err := s.KeyByID(ctx, "key_old000000")
	if err != nil || old.RotatedTo != "key_new000000" || !old.ExpiresAt.Equal(grace) || !old.PreRotationExpiresAt.IsZero() {
		t.Fatalf("old key after migration %+v %v", old, err)
	}
	err = s.Update(ctx, func(tx *Tx) error {
		won, err := tx.UndoRotation(ctx, "key_old000000", "key_new000000", created)
		if err == nil && won {
			t.Error("undid a rotation whose previous expiry is unknown")
		}
		return fmt.Errorf("roll back") // as the handler does when it lost
	})
	if err == nil || err.Error() != "roll back" {
		t.Fatal(err)
	}
	if n, _ := s.KeyByID(ctx, "key_new000000"); !n.RevokedAt.IsZero() {
		t.Fatalf("the refused undo revoked the successor: %+v", n)
	}

	for _, q := range []string{row("key_solo00000", "NULL", "NULL", year), row("key_next00000", "'key_solo00000'", "NULL", year)} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if won, err := s.MarkRotated(ctx, "key_solo00000", "key_next00000", grace, time.Time{}); err != nil || !won {
		t.Fatalf("MarkRotated %v %v", won, err)
	}
	if k, _ := s.KeyByID(ctx, "key_solo00000"); !k.PreRotationExpiresAt.Equal(year) || !k.ExpiresAt.Equal(grace) {
		t.Fatalf("rotated key %+v: want the year's expiry kept", k)
	}
	for i, want := range []bool{true, false} {
		if won, err := s.UndoRotation(ctx, "key_solo00000", "key_next00000", created); err != nil || won != want {
			t.Fatalf("undo %d: %v %v, want %v", i+1, won, err, want)
		}
	}
	k, _ := s.KeyByID(ctx, "key_solo00000")
	n, _ := s.KeyByID(ctx, "key_next00000")
	if !k.ExpiresAt.Equal(year) || k.RotatedTo != "" || !k.PreRotationExpiresAt.IsZero() || !n.RevokedAt.Equal(created) {
		t.Fatalf("after undo: %+v / %+v", k, n)
	}
}
