package store

import (
	"context"
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
