// Package clierr holds the error values that commands and the packages
// below cmdutil return: bad input (UsageError), a local failure of a kind
// (CodedError) and a hint for the line after the message (WithHint).
// cmdutil re-exports them and alone turns them into exit codes
// (cmdutil.ExitCode); they live here so that internal/cli/resolve, which
// cmdutil wires into the factory, can return them too.
package clierr

import (
	"fmt"

	"github.com/zupy/zupy-cli/internal/api"
)

// UsageError is bad input found before any request was sent: a flag, an
// argument, a file or standard input.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// CodedError is a local failure of a kind, with the error code it reports,
// like a missing login (api.KindAuth) or a key no emulator sent
// (api.KindNotFound).
type CodedError struct {
	Kind api.Kind
	Code string
	Msg  string
}

func (e *CodedError) Error() string { return e.Msg }

// CodeNotFinished is the code of a CodedError for a run that stopped before
// its work was done and left things as they were, so that running it again
// can finish it (keys rotate --watch whose --watch-timeout passed): exit 8.
const CodeNotFinished = "rotation_not_finished"

// hinted attaches a hint line to an error.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }
func (h *hinted) Hint() string  { return h.hint }

// WithHint attaches a hint shown on the line after the error. It is the one
// way to give an error a hint: the printer reads it (or the Hint method of
// an error from another package, like an unusable keyring's) from the
// outermost error that has one. An empty hint adds nothing.
func WithHint(err error, hint string) error {
	if err == nil || hint == "" {
		return err
	}
	return &hinted{err: err, hint: hint}
}

// LoginHint is what to run to log in to profile.
func LoginHint(profile string) string {
	if profile != "" && profile != "default" {
		return fmt.Sprintf("Run `zupy login --profile %s`", profile)
	}
	return "Run `zupy login`"
}

// NotLoggedIn is the error of a command that needs a session and has none.
func NotLoggedIn(profile string) error {
	return WithHint(&CodedError{Kind: api.KindAuth, Code: api.CodeAuthentication, Msg: "not logged in"}, LoginHint(profile))
}
