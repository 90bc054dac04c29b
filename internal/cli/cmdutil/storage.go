package cmdutil

import (
	"context"
	"fmt"
	"sync"

	"github.com/spf13/pflag"

	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// InsecureStorageFlag is the flag every command that stores a secret takes
// (SPEC §3): keep it in the 0600 credentials file instead of the keyring.
const InsecureStorageFlag = "insecure-storage"

// AddInsecureStorageFlag defines --insecure-storage on fs; what names what
// is stored ("the session", "the secret").
func AddInsecureStorageFlag(fs *pflag.FlagSet, p *bool, what string) {
	fs.BoolVar(p, InsecureStorageFlag, false, "Keep "+what+" in a 0600 file in the config directory instead of the OS keyring")
}

// UseFileStore is what --insecure-storage does before anything is written:
// it records credential_store: file in the profile so that later commands
// find what is stored. The warning that names the file is printed by the
// store WarnOnWrite returns, when a secret is written: a command that ends
// before it stores anything (login --request-only, a refused create) warns
// of nothing.
func UseFileStore(load func() (*config.File, error), profile string) error {
	cfg, err := load()
	if err != nil {
		return err
	}
	if v, _ := cfg.Get(profile, config.CredentialStore); v == "file" {
		return nil
	}
	if err := cfg.Set(profile, config.CredentialStore, "file"); err != nil {
		return err
	}
	return cfg.Save()
}

// WarnOnWrite opens the store open opens, wrapped so that the first secret
// written to it is preceded by the warning that it is kept in plain text
// in path; what names it ("the session", "the secret").
func WarnOnWrite(io *ui.IOStreams, open func() (credentials.Store, error), path, what string) func() (credentials.Store, error) {
	return func() (credentials.Store, error) {
		s, err := open()
		if err != nil {
			return nil, err
		}
		return &plainTextStore{Store: s, warn: func() {
			fmt.Fprintf(io.ErrOut, "%s Storing %s in plain text in %s (mode 0600); anyone who can read that file can use it.\n",
				io.ErrColorScheme().WarningIcon(), what, path)
		}}, nil
	}
}

type plainTextStore struct {
	credentials.Store
	once sync.Once
	warn func()
}

func (p *plainTextStore) Set(ctx context.Context, account, secret string) error {
	p.once.Do(p.warn)
	return p.Store.Set(ctx, account, secret)
}
