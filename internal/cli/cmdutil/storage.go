package cmdutil

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/zupy/zupy-cli/internal/config"
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
// it names the file that will hold the secret in plain text, then records
// credential_store: file in the profile so that later commands find it.
// what is what will be stored ("the session", "the secret").
func UseFileStore(io *ui.IOStreams, load func() (*config.File, error), profile, path, what string) error {
	cs := io.ErrColorScheme()
	fmt.Fprintf(io.ErrOut, "%s Storing %s in plain text in %s (mode 0600); anyone who can read that file can use it.\n", cs.WarningIcon(), what, path)
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
