package root_test

import (
	"errors"
	"os"

	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// keyringFromEnv is the OS keyring as the scripts see it. Scripts never reach
// the real Secret Service (CI tests it on its own, see scripts/test-keyring.sh):
//   - ZUPY_TEST_KEYRING=unavailable: every call fails as on a headless Linux
//     box without a Secret Service;
//   - ZUPY_TEST_KEYRING=hang: every call blocks forever, as a locked keyring
//     waiting for an unlock prompt nobody answers;
//   - otherwise a JSON file at ZUPY_TEST_KEYRING_FILE that lasts across the
//     script's processes, so a script can check what was stored.
func keyringFromEnv() credentials.Backend {
	switch os.Getenv("ZUPY_TEST_KEYRING") {
	case "unavailable":
		return failingKeyring{}
	case "hang":
		return hangingKeyring{}
	}
	return &clitest.FileKeyring{Path: os.Getenv("ZUPY_TEST_KEYRING_FILE")}
}

type failingKeyring struct{}

var errNoSecretService = errors.New("The name org.freedesktop.secrets was not provided by any .service files")

func (failingKeyring) Get(service, user string) (string, error) { return "", errNoSecretService }
func (failingKeyring) Set(service, user, password string) error { return errNoSecretService }
func (failingKeyring) Delete(service, user string) error        { return errNoSecretService }

type hangingKeyring struct{}

func (hangingKeyring) Get(service, user string) (string, error) { select {} }
func (hangingKeyring) Set(service, user, password string) error { select {} }
func (hangingKeyring) Delete(service, user string) error        { select {} }
