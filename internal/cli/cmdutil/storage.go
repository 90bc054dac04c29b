package cmdutil

import (
	"github.com/spf13/pflag"
)

// InsecureStorageFlag is the flag every command that stores a secret takes
// (docs/security-model.md): keep it in the 0600 credentials file instead of the keyring,
// as resolve.StoreFor decides.
const InsecureStorageFlag = "insecure-storage"

// AddInsecureStorageFlag defines --insecure-storage on fs; what names what
// is stored ("the session", "the secret").
func AddInsecureStorageFlag(fs *pflag.FlagSet, p *bool, what string) {
	fs.BoolVar(p, InsecureStorageFlag, false, "Keep "+what+" in a 0600 file in the config directory instead of the OS keyring")
}
