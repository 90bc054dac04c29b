package credentials

import (
	"context"
	"os"
	"strings"
)

// Kinds of Source.
const (
	SourceEnv     = "env"
	SourceKeyring = "keyring"
	SourceFile    = "file"
)

// Source says where a credential came from, for `zupy auth status` and for
// login/logout, which refuse to touch a credential that comes from the
// environment.
type Source struct {
	Kind   string // SourceEnv, SourceKeyring or SourceFile
	Detail string // the variable's name for SourceEnv, the path for SourceFile
}

// String is what `auth status` shows: the variable's name, "keyring", or the
// file's path.
func (s Source) String() string {
	switch s.Kind {
	case SourceKeyring:
		return "keyring"
	case SourceEnv, SourceFile:
		return s.Detail
	}
	return s.Kind
}

// SourceOf is the Source of credentials read from s.
func SourceOf(s Store) Source {
	if loc := s.Location(); loc != "keyring" {
		return Source{Kind: SourceFile, Detail: loc}
	}
	return Source{Kind: SourceKeyring}
}

// Resolver finds a profile's session in the documented order (docs/security-model.md):
// the environment variable first, then the profile's store. Which API key
// a command uses is decided in internal/cli/resolve.
type Resolver struct {
	Store   Store               // the profile's store; nil means none
	Getenv  func(string) string // nil means os.Getenv
	Profile string
}

func (r Resolver) env(name string) string {
	getenv := r.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return strings.TrimSpace(getenv(name))
}

// Session returns the session token: ZUPY_SESSION_TOKEN when set (and not
// blank), else the profile's stored session. ErrNotFound when neither has
// one; store errors (e.g. *UnavailableError) are returned as they are.
func (r Resolver) Session(ctx context.Context) (token string, src Source, err error) {
	if v := r.env(EnvSessionToken); v != "" {
		return v, Source{Kind: SourceEnv, Detail: EnvSessionToken}, nil
	}
	if err := checkName("profile", r.Profile); err != nil {
		return "", Source{}, err
	}
	return r.fromStore(ctx, SessionAccount(r.Profile))
}

func (r Resolver) fromStore(ctx context.Context, account string) (string, Source, error) {
	if r.Store == nil {
		return "", Source{}, ErrNotFound
	}
	v, err := r.Store.Get(ctx, account)
	if err != nil {
		return "", Source{}, err
	}
	return v, SourceOf(r.Store), nil
}
