// Package cmdutil is what every zupy command shares: the factory of lazily
// built dependencies, the error types, and the one place errors become exit
// codes and messages.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Exit codes (SPEC §4).
const (
	ExitOK           = 0
	ExitError        = 1
	ExitUsage        = 2
	ExitAuth         = 3
	ExitPermission   = 4
	ExitRateLimited  = 5
	ExitVerification = 6
	ExitNotFound     = 7
	ExitInterrupted  = 130
)

// UsageError is bad input found before any request was sent: a flag, an
// argument, a file or standard input.
type UsageError struct {
	Err  error
	Hint string
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// CodedError is a local failure with the exit code and error code it should
// report, like a missing login (exit 3) or a failed check (exit 4).
type CodedError struct {
	Exit int
	Code string
	Msg  string
	Hint string
}

func (e *CodedError) Error() string { return e.Msg }

// NotLoggedIn is the error of a command that needs a session and has none.
func NotLoggedIn(profile string) error {
	hint := "Run `zupy login`"
	if profile != "" && profile != "default" {
		hint = fmt.Sprintf("Run `zupy login --profile %s`", profile)
	}
	return &CodedError{Exit: ExitAuth, Code: api.CodeAuthentication, Msg: "not logged in", Hint: hint}
}

// SilentError carries an exit code for a failure the command already
// reported on its own.
type SilentError struct{ Code int }

func (e *SilentError) Error() string { return fmt.Sprintf("exit %d", e.Code) }

// hinted attaches a hint line to an error.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

// WithHint attaches a hint shown on the line after the error.
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hinted{err: err, hint: hint}
}

// ExitCode maps err to the process exit code. It is the only such mapping.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var silent *SilentError
	var usage *UsageError
	var coded *CodedError
	var exitCoder interface{ ExitCode() int }
	switch {
	case errors.As(err, &silent):
		return silent.Code
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &coded):
		return coded.Exit
	case errors.As(err, &exitCoder):
		return exitCoder.ExitCode()
	}
	return ExitError
}

// Describe returns the error code, message, details and hint to print for err.
func Describe(err error) (code, msg string, details map[string]any, hint string) {
	msg = err.Error()
	var usage *UsageError
	var coded *CodedError
	var apiErr *api.Error
	var netErr *api.NetworkError
	var unavailable *credentials.UnavailableError
	var hinter interface{ Hint() string }
	switch {
	case errors.Is(err, context.Canceled):
		code, msg = "interrupted", "cancelled before it finished"
	case errors.As(err, &usage):
		code, hint = "usage_error", usage.Hint
	case errors.As(err, &coded):
		code, msg, hint = coded.Code, coded.Msg, coded.Hint
	case errors.As(err, &apiErr):
		code, msg, details = apiErr.Code, apiErr.Message, apiErr.Details
		hint = defaultAPIHint(apiErr)
	case errors.As(err, &netErr):
		code = "network_error"
		if netErr.Timeout() {
			hint = "Raise the limit with --timeout, or check the base URL with `zupy config get base_url`"
		} else {
			hint = "Check the base URL with `zupy config get base_url`, or start a local emulator with `zupy emulator start`"
		}
	case errors.As(err, &unavailable):
		code = "keyring_unavailable"
	default:
		code = "error"
	}
	if errors.As(err, &hinter) && hinter.Hint() != "" {
		hint = hinter.Hint()
	}
	var h *hinted
	if errors.As(err, &h) {
		hint = h.hint
	}
	return code, msg, details, hint
}

func defaultAPIHint(e *api.Error) string {
	switch e.Code {
	case api.CodeRateLimit:
		return "Wait for the limit to reset, or allow more retries with --retries"
	case api.CodeInternal:
		return "The server failed; try again later"
	}
	return ""
}

// PrintError writes err to w: "Error: <code> - <message>" and a hint line,
// or with JSON one document {"error","message","details","exit_code"}.
func PrintError(w io.Writer, cs *ui.ColorScheme, err error, asJSON bool) {
	code, msg, details, hint := Describe(err)
	exit := ExitCode(err)
	if asJSON {
		doc := struct {
			Error    string         `json:"error"`
			Message  string         `json:"message"`
			Details  map[string]any `json:"details"`
			Hint     string         `json:"hint,omitempty"`
			ExitCode int            `json:"exit_code"`
		}{code, msg, details, hint, exit}
		if doc.Details == nil {
			doc.Details = map[string]any{}
		}
		_ = ui.WriteJSON(w, doc)
		return
	}
	fmt.Fprintf(w, "%s %s - %s\n", cs.Failure("Error:"), code, msg)
	if hint != "" {
		fmt.Fprintln(w, cs.Muted(hint))
	}
}
