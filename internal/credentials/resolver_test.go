package credentials

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestResolverEnvironmentBeatsStore(t *testing.T) {
	for name, s := range storesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			must(t, s.Set(ctx, SessionAccount("default"), "zup_sess_stored"))
			must(t, SaveKey(ctx, s, "default", "key_1", "zup_live_sk_storedstoredstored12345")) // zupy:allow
			r := Resolver{Store: s, Profile: "default", Getenv: envOf(map[string]string{
				EnvSessionToken: "zup_sess_fromenv",
				EnvAPIKey:       "zup_test_sk_fromenvfromenvfromenv12", // zupy:allow
			})}
			tok, src, err := r.Session(ctx)
			if err != nil || tok != "zup_sess_fromenv" || src != (Source{Kind: SourceEnv, Detail: EnvSessionToken}) {
				t.Fatalf("Session = %q, %+v, %v", tok, src, err)
			}
			if src.String() != "ZUPY_SESSION_TOKEN" {
				t.Fatalf("Source.String = %q", src)
			}
		})
	}
}

func TestResolverFallsBackToTheProfileStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	for _, tc := range []struct {
		store Store
		src   Source
		shown string
	}{
		{NewKeyring(newFakeBackend(), time.Second), Source{Kind: SourceKeyring}, "keyring"},
		{NewFile(path), Source{Kind: SourceFile, Detail: path}, path},
	} {
		must(t, tc.store.Set(ctx, SessionAccount("work"), "zup_sess_work"))
		r := Resolver{Store: tc.store, Profile: "work", Getenv: envOf(map[string]string{EnvSessionToken: "  "})}
		tok, src, err := r.Session(ctx)
		if err != nil || tok != "zup_sess_work" || src != tc.src || src.String() != tc.shown {
			t.Fatalf("%s: Session = %q, %+v (%s), %v", tc.shown, tok, src, src, err)
		}
	}
}

func TestResolverNotFoundPassesThrough(t *testing.T) {
	for name, s := range storesUnderTest(t) {
		r := Resolver{Store: s, Profile: "default", Getenv: envOf(nil)}
		if _, src, err := r.Session(context.Background()); !errors.Is(err, ErrNotFound) || src != (Source{}) {
			t.Errorf("%s: Session = %+v, %v; want ErrNotFound", name, src, err)
		}
	}
	if _, _, err := (Resolver{Profile: "default", Getenv: envOf(nil)}).Session(context.Background()); !errors.Is(err, ErrNotFound) {
		t.Errorf("no store: %v; want ErrNotFound", err)
	}
}

func TestResolverStoreFailurePassesThrough(t *testing.T) {
	b := newFakeBackend()
	b.err = errors.New("The name org.freedesktop.secrets was not provided by any .service files")
	r := Resolver{Store: NewKeyring(b, time.Second), Profile: "default", Getenv: envOf(nil)}
	var ue *UnavailableError
	if _, _, err := r.Session(context.Background()); !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UnavailableError", err)
	}
}

func TestResolverUsesProcessEnvironmentByDefault(t *testing.T) {
	t.Setenv(EnvSessionToken, "zup_sess_process")
	tok, src, err := Resolver{Profile: "default"}.Session(context.Background())
	if err != nil || tok != "zup_sess_process" || src.Kind != SourceEnv {
		t.Fatalf("Session = %q, %+v, %v", tok, src, err)
	}
}

func TestResolverRejectsAmbiguousNames(t *testing.T) {
	s := NewKeyring(newFakeBackend(), time.Second)
	for _, r := range []Resolver{{Store: s, Profile: "a/key"}, {Store: s, Profile: ""}} {
		r.Getenv = envOf(nil)
		if _, _, err := r.Session(context.Background()); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("profile %q: %v, want a name error", r.Profile, err)
		}
	}
}

func TestSourceStringShowsWhereTheCredentialCameFrom(t *testing.T) {
	for src, want := range map[Source]string{
		{Kind: SourceEnv, Detail: EnvAPIKey}:                      "ZUPY_API_KEY",
		{Kind: SourceKeyring}:                                     "keyring",
		{Kind: SourceFile, Detail: "/home/a/.config/zupy/x.yaml"}: "/home/a/.config/zupy/x.yaml",
	} {
		if src.String() != want {
			t.Errorf("%+v.String() = %q, want %q", src, src.String(), want)
		}
	}
}

func TestAccountNamesFollowTheSpec(t *testing.T) {
	if got := SessionAccount("default"); got != "default/session" {
		t.Errorf("SessionAccount = %q", got)
	}
	if got := KeyAccount("work", "key_abc"); got != "work/key/key_abc" {
		t.Errorf("KeyAccount = %q", got)
	}
	if got := IndexAccount("work"); got != "work/keys" {
		t.Errorf("IndexAccount = %q", got)
	}
}
