// Package cmdutil is what every zupy command shares: the factory of lazily
// built dependencies, the error types, and the one place errors become exit
// codes and messages.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/clierr"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/fileperm"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Exit codes (`zupy help exit-codes`).
const (
	ExitOK           = 0
	ExitError        = 1
	ExitUsage        = 2
	ExitAuth         = 3
	ExitPermission   = 4
	ExitRateLimited  = 5
	ExitVerification = 6
	ExitNotFound     = 7
	ExitNotFinished  = 8
	ExitInterrupted  = 130
)

// The error values below cmdutil (internal/cli/clierr), under the names
// every command uses.
type (
	UsageError = clierr.UsageError
	CodedError = clierr.CodedError
)

// CodeNotFinished is the code of a run that stopped unfinished: exit 8.
const CodeNotFinished = clierr.CodeNotFinished

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error { return clierr.Usagef(format, args...) }

// WithHint attaches a hint shown on the line after the error
// (clierr.WithHint).
func WithHint(err error, hint string) error { return clierr.WithHint(err, hint) }

// ZupyCommand is the zupy command line of args for profile: a hint that
// names a command names it for the profile in use (`zupy auth status
// --profile ci`), or the user's next command would act on another one. The
// default profile adds nothing.
func ZupyCommand(profile, args string) string {
	if profile != "" && profile != "default" {
		return "zupy " + args + " --profile " + profile
	}
	return "zupy " + args
}

// zupyInBackquotes is a zupy command line quoted in a hint.
var zupyInBackquotes = regexp.MustCompile("`zupy ([^`]*)`")

// ForProfile rewrites every `zupy …` command quoted in hint for profile
// (ZupyCommand), so that a hint's command acts on the profile in use. A
// command that names a profile already, runs another command (emulator
// exec -- CMD) or takes none (help, version, emulator) is left as it is.
func ForProfile(hint, profile string) string {
	if profile == "" || profile == "default" {
		return hint
	}
	return zupyInBackquotes.ReplaceAllStringFunc(hint, func(m string) string {
		args := m[len("`zupy ") : len(m)-1]
		first, _, _ := strings.Cut(args, " ")
		switch {
		case strings.Contains(args, "--profile"), strings.Contains(args, " -- "):
			return m
		case first == "help", first == "version", first == "emulator", first == "completion":
			return m
		}
		return "`" + ZupyCommand(profile, args) + "`"
	})
}

// LoginHint is what to run to log in to profile.
func LoginHint(profile string) string { return clierr.LoginHint(profile) }

// NotLoggedIn is the error of a command that needs a session and has none.
func NotLoggedIn(profile string) error { return clierr.NotLoggedIn(profile) }

// SilentError is a failure of a kind that the command already reported on
// its own: nothing more is printed. Code, when not zero, is the exit code
// itself: one the user chose (keys scan --exit-code), or that of a command
// zupy ran for the user (emulator exec), passed on unchanged; not a kind's.
type SilentError struct {
	Kind api.Kind
	Code int
}

func (e *SilentError) Error() string { return fmt.Sprintf("exit %d", e.exitCode()) }

func (e *SilentError) exitCode() int {
	if e.Code != 0 {
		return e.Code
	}
	return exitCodeOf(e.Kind)
}

// ExitCode maps err to the process exit code (`zupy help exit-codes`). It is the only such
// mapping: errors from internal/api and local failures carry a kind, and
// only here does a kind become a number.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var silent *SilentError
	var coded *CodedError
	var apiErr *api.Error
	switch {
	case errors.As(err, &silent):
		return silent.exitCode()
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case isUsage(err):
		return ExitUsage
	case errors.As(err, &coded) && coded.Code == clierr.CodeNotFinished:
		return ExitNotFinished
	case errors.As(err, &coded):
		return exitCodeOf(coded.Kind)
	case errors.As(err, &apiErr):
		return exitCodeOf(apiErr.Kind())
	}
	return ExitError
}

// exitCodeOf is a kind's exit code. A server's refusal of the input
// (api.KindInvalid, a 400) is not a usage error: exit 2 means found before
// any request was sent (`zupy help exit-codes`), so it is an error (1), as in gh.
func exitCodeOf(k api.Kind) int {
	switch k {
	case api.KindUsage:
		return ExitUsage
	case api.KindAuth:
		return ExitAuth
	case api.KindPermission:
		return ExitPermission
	case api.KindRateLimited:
		return ExitRateLimited
	case api.KindVerification:
		return ExitVerification
	case api.KindNotFound:
		return ExitNotFound
	}
	return ExitError
}

// Describe returns the error code, message, details and hint to print for err.
func Describe(err error) (code, msg string, details map[string]any, hint string) {
	msg = err.Error()
	var coded *CodedError
	var apiErr *api.Error
	var netErr *api.NetworkError
	var unavailable *credentials.UnavailableError
	var cfgErr *config.FileError
	var untrusted *fileperm.Error
	switch {
	case errors.Is(err, context.Canceled):
		code, msg = "interrupted", "cancelled before it finished"
	case isUsage(err):
		code = "usage_error"
	case errors.As(err, &coded):
		code, msg = coded.Code, coded.Msg
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
	case errors.As(err, &untrusted):
		code = "unsafe_permissions" // its Hint is the chmod or chown that fixes it
	case errors.As(err, &cfgErr):
		code = "config_error"
		hint = fmt.Sprintf("Fix or move %s, or point ZUPY_CONFIG_DIR at another directory (see `zupy help environment`)", cfgErr.Path)
		if errors.Is(cfgErr, syscall.ENOTDIR) {
			hint = fmt.Sprintf("%s is not a directory: point ZUPY_CONFIG_DIR at a directory (see `zupy help environment`)", filepath.Dir(cfgErr.Path))
		}
	default:
		code = "error"
	}
	var hinter interface{ Hint() string }
	if errors.As(err, &hinter) && hinter.Hint() != "" {
		hint = hinter.Hint()
	}
	return code, msg, details, hint
}

func defaultAPIHint(e *api.Error) string {
	switch e.Code {
	case api.CodeRateLimit:
		return "Wait for the limit to reset, or allow more retries with --retries"
	case api.CodeInternal:
		return "The server failed; try again later"
	case api.CodeInvalidResponse:
		return "Check the base URL with `zupy config get base_url`: it must lead to the Zupy API"
	}
	return ""
}

// PrintError writes err to w: "Error: <code> - <message>" and a hint line,
// or with JSON one document {"error","message","details","exit_code"}. The
// commands the hint names carry profile (ForProfile).
//
// Every string is masked (apikey.MaskSecrets: an error may echo a flag's
// value, a path or an expression, and a secret pasted there is never shown
// whole) and, in text, made inert on a terminal (ui.Lines). This is the one
// place errors are printed, cobra's own flag errors included
// (docs/security-model.md).
func PrintError(w io.Writer, cs *ui.ColorScheme, err error, asJSON bool, profile string) {
	code, msg, details, hint := Describe(err)
	hint = ForProfile(hint, profile)
	code, msg, hint = apikey.MaskSecrets(code), apikey.MaskSecrets(msg), apikey.MaskSecrets(hint)
	details = maskDetails(details)
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
	fmt.Fprintf(w, "%s %s - %s\n", cs.Failure("Error:"), ui.SingleLine(code), ui.Lines(msg))
	if hint != "" {
		fmt.Fprintln(w, cs.Muted(ui.Lines(hint)))
	}
}

// isUsage reports whether err is bad input found before anything was sent:
// a *UsageError, or config's own (an unknown key, a bad value, a bad
// ZUPY_BASE_URL or profile name), which config cannot name as ours.
func isUsage(err error) bool {
	var usage *UsageError
	var cfgUsage *config.UsageError
	return errors.As(err, &usage) || errors.As(err, &cfgUsage)
}

// maskDetails masks secrets in every string of an error's details, keys
// included; the server's were redacted already, local ones may echo input.
func maskDetails(d map[string]any) map[string]any {
	if d == nil {
		return nil
	}
	out := make(map[string]any, len(d))
	for k, v := range d {
		out[apikey.MaskSecrets(k)] = maskValue(v)
	}
	return out
}

func maskValue(v any) any {
	switch x := v.(type) {
	case string:
		return apikey.MaskSecrets(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = maskValue(x[i])
		}
		return out
	case map[string]any:
		return maskDetails(x)
	}
	return v
}
