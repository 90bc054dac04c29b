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

// TestMigrationMovesPartnerLocksToDestinations pins migration 2: a partner's
// pending OTP failures and lock, kept on the partner by version 1, carry over
// to each of its contacts.
func TestMigrationMovesPartnerLocksToDestinations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Rebuild the database at version 1, with a locked and an idle partner.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	until := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`DROP TABLE audit_events`, `DROP TABLE api_keys`, `DROP TABLE sessions`, `DROP TABLE otp_challenges`,
		`DROP TABLE otp_locks`, `DROP TABLE partners`, `DROP TABLE meta`, `DELETE FROM schema_version`,
		migrations[0], `INSERT INTO schema_version (version) VALUES (1)`,
		fmt.Sprintf(`INSERT INTO partners VALUES ('ptn_1', 'n', 'a@b.co', '+5511999990000', 1, 0, %d)`, until.UnixNano()),
		`INSERT INTO partners VALUES ('ptn_2', 'm', 'c@d.co', '+5511999990001', 1, 7, NULL)`,
		`INSERT INTO partners VALUES ('ptn_3', 'o', 'e@f.co', '+5511999990002', 1, 0, NULL)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()
	if s, err = Open(ctx, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]OTPLock{
		"a@b.co": {LockedUntil: until}, "+5511999990000": {LockedUntil: until},
		"c@d.co": {Failures: 7}, "+5511999990001": {Failures: 7},
		"e@f.co": {}, "+5511999990002": {},
	}
	for dest, w := range want {
		got, err := s.OTPLockOf(ctx, dest)
		if err != nil || got.Failures != w.Failures || !got.LockedUntil.Equal(w.LockedUntil) {
			t.Errorf("%s: %+v %v, want %+v", dest, got, err, w)
		}
	}
	if _, err := s.PartnerByID(ctx, "ptn_1"); err != nil {
		t.Fatal(err)
	}
}
