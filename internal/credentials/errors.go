package credentials

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// UnavailableError means the OS keyring cannot be used: no Secret Service on
// a headless Linux machine, a locked collection, a D-Bus failure, an
// unsupported platform, or a call that did not answer within the timeout.
// Error says why; Hint says how to go on. Neither contains a secret.
type UnavailableError struct {
	Op      string        // "get", "set" or "delete"
	Account string        // the account name, e.g. "default/session" (not a secret)
	Err     error         // why the backend failed; when Timeout, nil or a note that an earlier call hung
	Timeout bool          // the call did not answer within After
	After   time.Duration // the timeout that ran out, when Timeout

	// FilePath is the file store the hint offers; the CLI sets it to
	// <config dir>/credentials.yaml. When empty the hint names the file
	// without its directory.
	FilePath string
	// OfferFlag says that the command at hand takes --insecure-storage, so
	// the hint may offer it; the CLI sets it. A hint names only flags the
	// command has.
	OfferFlag bool
	// Command formats a zupy command line for the hint; the CLI sets it to
	// one that adds the --profile in use (cmdutil.ZupyCommand).
	Command func(args string) string
}

func (e *UnavailableError) Error() string {
	if e.Timeout {
		return fmt.Sprintf("the OS keyring did not answer within %s (while trying to %s %s)",
			formatDuration(e.After), opVerb(e.Op), e.Account)
	}
	reason := "unknown error"
	if e.Err != nil {
		reason = explain(e.Err.Error())
	}
	return fmt.Sprintf("cannot use the OS keyring%s to %s %s: %s", keyringKind(e.Err), opVerb(e.Op), e.Account, reason)
}

// explain puts the common Secret Service failures in words, keeping the
// backend's message for whoever has to debug it.
func explain(msg string) string {
	switch {
	case strings.Contains(msg, "org.freedesktop.secrets was not provided"):
		return "no Secret Service (such as gnome-keyring or KeePassXC) is installed or running: " + msg
	case strings.Contains(msg, "failed to unlock"):
		return "the keyring is locked and could not be unlocked: " + msg
	}
	return msg
}

// keyringKind names the Secret Service where go-keyring uses it, so that a
// bare D-Bus error ("dial unix …: connect: no such file or directory") says
// what it was trying to reach.
func keyringKind(err error) string {
	switch runtime.GOOS {
	case "darwin", "windows", "ios":
		return ""
	}
	if errors.Is(err, keyring.ErrUnsupportedPlatform) {
		return ""
	}
	return " (Secret Service over D-Bus)"
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Hint is one line telling the user how to go on without the keyring. The
// variable it names is the one that stands for what was being read: the
// session's for a session, the key's for a key.
func (e *UnavailableError) Hint() string {
	file := e.FilePath
	if file == "" {
		file = "credentials.yaml in the zupy config directory"
	}
	command := e.Command
	if command == nil {
		command = func(args string) string { return "zupy " + args }
	}
	env := EnvSessionToken + " / " + EnvAPIKey
	switch {
	case strings.HasSuffix(e.Account, "/session"):
		env = EnvSessionToken
	case strings.Contains(e.Account, "/key/"):
		env = EnvAPIKey
	}
	var b strings.Builder
	if e.Timeout {
		b.WriteString("If your keyring is locked, unlock it and try again; or set ")
	} else {
		b.WriteString("Set ")
	}
	if env == EnvSessionToken && !e.OfferFlag {
		// An API key (ZUPY_API_KEY) does not stand in for the session the
		// key management routes take (docs/security-model.md).
		fmt.Fprintf(&b, "%s (this needs the login session, not an API key), or run `%s` to keep credentials in %s, then `%s`",
			env, command("config set credential_store file"), file, command("login"))
		return b.String()
	}
	if e.OfferFlag {
		fmt.Fprintf(&b, "%s, or re-run with --insecure-storage (or `%s`) to keep credentials in %s",
			env, command("config set credential_store file"), file)
	} else {
		fmt.Fprintf(&b, "%s, or run `%s` to keep credentials in %s",
			env, command("config set credential_store file"), file)
	}
	return b.String()
}

func opVerb(op string) string {
	switch op {
	case "get":
		return "read"
	case "set":
		return "save"
	case "delete":
		return "remove"
	}
	return op
}

// formatDuration prints whole seconds as "3s" and "60s" rather than "1m0s".
func formatDuration(d time.Duration) string {
	if d > 0 && d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// redactedError hides a secret that a backend echoed in its error message.
// It still unwraps to the original so errors.Is keeps working.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with every occurrence of secret replaced.
func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), secret, "[redacted]"), err: err}
}

var errEarlierTimeout = errors.New("an earlier keyring call did not answer")
