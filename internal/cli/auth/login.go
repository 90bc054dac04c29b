// Package auth is `zupy login`, `zupy logout` and `zupy auth status|token`:
// the partner's one-time-code login and where its session is kept.
package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// LoginOptions is what `zupy login` uses.
type LoginOptions struct {
	IO      *ui.IOStreams
	JSON    bool
	Profile string
	Now     func() time.Time
	Config  func() (*config.File, error)
	Client  func() (*api.Client, error)
	// Resolve chooses the store the session is kept in.
	Resolve  *resolve.Resolver
	Prompter func() *ui.Prompter
	// StateDir holds the pending code of each profile (pending.go).
	StateDir func() (string, error)

	Email           string
	WhatsApp        string
	Channel         string
	InsecureStorage bool
	RequestOnly     bool
	VerificationID  string
	CodeStdin       bool

	// GuessedWhatsApp is --whatsapp read as a Brazilian national number, in
	// E.164, to be confirmed on the terminal before a code is sent there.
	GuessedWhatsApp, GuessedDisplay string
}

// NewCmdLogin returns `zupy login`; runF replaces the run function in tests.
func NewCmdLogin(f *cmdutil.Factory, runF func(*LoginOptions) error) *cobra.Command {
	o := &LoginOptions{IO: f.IOStreams, Now: f.Now, Config: f.Config, Client: f.Client, Resolve: f.Resolve, Prompter: f.Prompter,
		StateDir: func() (string, error) { return StateDir(f.Getenv) }}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Verify your partner account with a one-time code and start a session",
		Long: `Log in to Zupy with a one-time code sent to your partner account's WhatsApp
number or e-mail address. The session lasts 24 hours and is kept in the OS
keyring (or, with --insecure-storage, in a 0600 file in the config directory).

On a terminal zupy asks for what it needs, shows a countdown of the code's
validity (5 minutes by WhatsApp, 10 by e-mail), lets you re-enter a mistyped
code, resend it after 60 seconds, or switch to e-mail.

Without a terminal (CI, pipes) it never prompts and works in two steps:
request a code with --request-only, then complete the login with
--verification-id and the code on standard input (--code-stdin).`,
		Example: `  zupy login                                  # on a terminal
  zupy login --whatsapp "+55 11 99999-0000"   # on a terminal

  # in a script: request a code, then give it on stdin (here the
  # emulator's, read with zupy emulator otp)
  zupy login --email dev@example.com --request-only -o json > challenge.json
  zupy emulator otp --destination dev@example.com |
      zupy login --verification-id "$(jq -r .verification_id challenge.json)" --code-stdin`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if v := f.Getenv(credentials.EnvSessionToken); strings.TrimSpace(v) != "" {
				return cmdutil.WithHint(cmdutil.Usagef("the session comes from %s: login does not replace it", credentials.EnvSessionToken),
					"Unset "+credentials.EnvSessionToken+" to log in and store a session")
			}
			if err := o.validate(f.IOStreams.CanPrompt()); err != nil {
				return err
			}
			o.JSON, o.Profile = f.JSON(), f.Profile()
			if runF != nil {
				return runF(o)
			}
			return loginRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Email, "email", "", "E-mail `ADDRESS` of your partner account")
	fl.StringVar(&o.WhatsApp, "whatsapp", "", "WhatsApp `NUMBER` of your partner account (E.164, like +5511999990000)")
	fl.StringVar(&o.Channel, "channel", "", "Send the code by this `CHANNEL`: whatsapp or email (default: from the destination)")
	cmdutil.AddInsecureStorageFlag(fl, &o.InsecureStorage, "the session")
	fl.BoolVar(&o.RequestOnly, "request-only", false, "Only request a code and print the challenge (step 1 without a terminal)")
	fl.StringVar(&o.VerificationID, "verification-id", "", "Complete the login started with --request-only (step 2): its `ID`")
	fl.BoolVar(&o.CodeStdin, "code-stdin", false, "Read the one-time code from standard input")
	cmd.MarkFlagsMutuallyExclusive("email", "whatsapp")
	cmd.MarkFlagsMutuallyExclusive("request-only", "verification-id")
	cmd.MarkFlagsMutuallyExclusive("request-only", "code-stdin")
	_ = cmd.RegisterFlagCompletionFunc("channel", cobra.FixedCompletions([]string{"whatsapp", "email"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// validate checks the flags before anything is sent, normalising the
// destination; canPrompt says whether a person can answer prompts.
func (o *LoginOptions) validate(canPrompt bool) error {
	if o.Email != "" {
		e, err := contact.NormalizeEmail(o.Email)
		if err != nil {
			return cmdutil.Usagef("invalid --email: %v", err)
		}
		o.Email = e
	}
	if o.WhatsApp != "" {
		n, err := contact.NormalizeWhatsApp(o.WhatsApp)
		if err != nil {
			e164, display, ok := contact.BrazilianNational(o.WhatsApp)
			switch {
			case ok && canPrompt && !o.RequestOnly:
				// Offered on the terminal, sent only once confirmed: a code
				// sent to a guessed number reaches a stranger.
				o.GuessedWhatsApp, o.GuessedDisplay, o.WhatsApp = e164, display, ""
				err = nil
			case ok:
				return cmdutil.WithHint(cmdutil.Usagef("invalid --whatsapp: %v", err),
					fmt.Sprintf("If it is a Brazilian number, that is --whatsapp %s (+55, the area code, the number)", e164))
			default:
				return cmdutil.Usagef("invalid --whatsapp: %v", err)
			}
		}
		if err == nil && o.GuessedWhatsApp == "" {
			o.WhatsApp = n
		}
	}
	if o.Channel != "" {
		if _, err := contact.ParseChannel(o.Channel); err != nil {
			return cmdutil.Usagef("invalid --channel: %v", err)
		}
		if o.Channel == string(contact.WhatsApp) && o.Email != "" {
			return cmdutil.Usagef("--channel whatsapp needs --whatsapp, not --email")
		}
		if o.Channel == string(contact.Email) && o.WhatsApp != "" {
			return cmdutil.Usagef("--channel email needs --email, not --whatsapp")
		}
	}
	if o.VerificationID != "" && (o.Email != "" || o.WhatsApp != "" || o.Channel != "") {
		return cmdutil.Usagef("--verification-id completes an earlier request: do not combine it with --email, --whatsapp or --channel")
	}
	switch {
	case o.RequestOnly:
		if o.Email == "" && o.WhatsApp == "" {
			return cmdutil.Usagef("--request-only needs --email or --whatsapp")
		}
	case o.VerificationID != "":
		if !o.CodeStdin && !canPrompt {
			return cmdutil.Usagef("--verification-id needs --code-stdin when not running interactively")
		}
	case o.CodeStdin:
		return cmdutil.Usagef("--code-stdin needs --verification-id")
	case !canPrompt && o.GuessedWhatsApp == "":
		return cmdutil.WithHint(cmdutil.Usagef("login needs a terminal to prompt on"),
			"Without one, run `zupy login --email ADDR --request-only`, then `zupy login --verification-id ID --code-stdin`")
	}
	return nil
}

// destination is where the code goes and by which channel.
func (o *LoginOptions) destination() (contact.Channel, string) {
	dest := o.Email
	if dest == "" {
		dest = o.WhatsApp
	}
	ch := contact.Guess(dest)
	if o.Channel != "" {
		ch = contact.Channel(o.Channel)
	}
	return ch, dest
}

func loginRun(ctx context.Context, o *LoginOptions) error {
	client, err := o.Client()
	if err != nil {
		return err
	}
	if o.InsecureStorage {
		// Recorded at once, in either step of a two-step login, so that the
		// step that stores the session (and every later command) finds it.
		if err := o.Resolve.AllowPlainText(); err != nil {
			return err
		}
	}
	if o.RequestOnly {
		// Stores nothing, so the store is not opened (docs/security-model.md): on a
		// headless box the keyring would only fail or wait.
		ch, dest := o.destination()
		challenge, err := requestCode(ctx, o, client, ch, dest, false)
		if err != nil {
			return otpHint(err)
		}
		return printChallenge(o, &challenge.OTPChallenge)
	}
	store, err := sessionStore(ctx, o)
	if err != nil {
		return err
	}
	switch {
	case o.VerificationID != "":
		code, err := readCode(ctx, o)
		if err != nil {
			return err
		}
		login, resp, err := client.VerifyOTP(ctx, api.OTPVerifyRequest{VerificationID: o.VerificationID, Code: code})
		if err != nil {
			if codeIsDead(err) {
				o.forgetPending()
			}
			return otpHint(err)
		}
		return finishLogin(ctx, o, client, store, login, resp.ServerNow(o.Now()))
	}
	return interactiveLogin(ctx, o, client, store)
}

// sessionStore returns where the session will be kept (the profile's store,
// which --insecure-storage has made the file), checked to be usable before
// any code is requested or spent: a keyring that cannot be reached is an
// error now, not after the code was used up.
func sessionStore(ctx context.Context, o *LoginOptions) (credentials.Store, error) {
	store, err := o.Resolve.Store()
	if err != nil {
		return nil, err
	}
	// A session going to plain text (--insecure-storage now, or the
	// credential_store: file an earlier step recorded) is said when it is
	// written, not before a code that may never be entered; WarnOnWrite
	// leaves the keyring as it is.
	store = o.Resolve.WarnOnWrite(store, "the session")
	if _, err := store.Get(ctx, credentials.SessionAccount(o.Profile)); err != nil && !errors.Is(err, credentials.ErrNotFound) {
		return nil, err
	}
	return store, nil
}

func printChallenge(o *LoginOptions, c *api.OTPChallenge) error {
	if o.JSON {
		return ui.WriteJSON(o.IO.Out, c)
	}
	fmt.Fprintf(o.IO.ErrOut, "Sent a code by %s to %s; it expires at %s.\n", channelName(c.Channel), ui.SingleLine(c.DestinationHint), c.ExpiresAt.UTC().Format(time.RFC3339))
	id := ui.SingleLine(c.VerificationID)
	fmt.Fprintf(o.IO.ErrOut, "Complete the login with: %s\n", cmdutil.ZupyCommand(o.Profile, "login --verification-id "+id+" --code-stdin"))
	_, err := fmt.Fprintln(o.IO.Out, id)
	return err
}

// readCode reads the one-time code from stdin (--code-stdin) or a hidden
// prompt, and checks its form before it is sent.
func readCode(ctx context.Context, o *LoginOptions) (string, error) {
	var code string
	if o.CodeStdin {
		data, err := io.ReadAll(io.LimitReader(cmdutil.ContextReader(ctx, o.IO.In), 1024))
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		if err != nil {
			return "", fmt.Errorf("read the code from stdin: %w", err)
		}
		code = strings.TrimSpace(string(data))
		if code == "" {
			return "", cmdutil.Usagef("no code on stdin (--code-stdin)")
		}
		if err := contact.ValidateCode(code); err != nil {
			return "", cmdutil.Usagef("invalid code on stdin: %v", err)
		}
		return code, nil
	}
	for {
		c, err := o.Prompter().Secret("Code:")
		if err != nil {
			return "", err
		}
		if err := contact.ValidateCode(c); err == nil {
			return c, nil
		}
		fmt.Fprintln(o.IO.ErrOut, o.IO.ErrColorScheme().Failure("The code is 6 digits."))
	}
}

// otpHint adds what to do next to a refused code request or verification.
func otpHint(err error) error {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		return err
	}
	switch {
	case apiErr.Kind() == api.KindVerification && apiErr.ServerCode() == wire.ErrInvalidOTP:
		if n, ok := attemptsLeft(apiErr); ok && n > 0 {
			return cmdutil.WithHint(err, fmt.Sprintf("%s left on this code: run the same command again with the right code", ui.Plural(n, "attempt")))
		}
		return cmdutil.WithHint(err, "No attempts are left on this code: "+newCodeHint)
	case apiErr.Kind() == api.KindVerification:
		return cmdutil.WithHint(err, "This code can no longer be used: "+newCodeHint)
	case apiErr.Kind() == api.KindRateLimited:
		return cmdutil.WithHint(err, otpRefusal(apiErr))
	}
	return err
}

// forgetPending removes the profile's pending code (used, or dead).
func (o *LoginOptions) forgetPending() {
	if dir, err := o.StateDir(); err == nil {
		dropPending(dir, o.Profile)
	}
}

// codeIsDead says whether a refused verification leaves the code unusable:
// expired, used, or wrong with no attempts left.
func codeIsDead(err error) bool {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Kind() != api.KindVerification {
		return false
	}
	n, ok := attemptsLeft(apiErr)
	return !ok || n <= 0
}

// newCodeHint says how to get a new code without a terminal.
const newCodeHint = "request a new one with `zupy login --email ADDR --request-only` (or --whatsapp NUMBER), a minute after the last one was sent"

// otpRefusal says in words why the server refused a code request or a
// verification with a 429: every 429 has the same message (docs/api.md) and
// details.error_code tells the cases apart.
func otpRefusal(e *api.Error) string {
	wait := ""
	if s, ok := e.Details[wire.DetailRetryAfter].(float64); ok && s > 0 {
		wait = " in " + ui.FormatDuration(time.Duration(s)*time.Second)
	}
	switch e.ServerCode() {
	case wire.ErrOTPResendCooldown:
		return "A code was sent less than a minute ago: use it, or ask for a new one" + wait
	case wire.ErrOTPSendLimit:
		return "Too many codes were sent to this destination: try again" + wait
	case wire.ErrOTPLocked:
		return "Too many wrong codes: verification is locked; try again" + wait
	}
	return "Too many requests: try again" + wait
}

func attemptsLeft(e *api.Error) (int, bool) {
	switch v := e.Details[wire.DetailAttemptsRemaining].(type) {
	case float64:
		return int(v), true
	case int:
		return v, true
	}
	return 0, false
}

// finishLogin stores the session, records --insecure-storage in the profile,
// and says who is logged in. When the session cannot be stored it is revoked
// on the server, so no live session is left behind that nobody holds.
// now is the server's time, which "until …" is counted from.
func finishLogin(ctx context.Context, o *LoginOptions, client *api.Client, store credentials.Store, login *api.Login, now time.Time) error {
	if err := store.Set(ctx, credentials.SessionAccount(o.Profile), login.SessionToken); err != nil {
		_, _ = client.DeleteSession(context.WithoutCancel(ctx), login.SessionToken)
		return err
	}
	o.forgetPending() // the code is used
	// Where the session came from, so logout revokes it there. Best effort:
	// without it logout falls back to the profile's base URL.
	_ = store.Set(ctx, credentials.SessionIssuerAccount(o.Profile), client.BaseURL())
	// A profile other than "default" is recorded in config.yaml even without
	// settings, so that logout --all can find its credentials.
	if cfg, err := o.Config(); err == nil && o.Profile != config.DefaultProfile && cfg.AddProfile(o.Profile) {
		if err := cfg.Save(); err != nil {
			return err
		}
	}
	if o.JSON {
		return ui.WriteJSON(o.IO.Out, struct {
			Profile   string      `json:"profile"`
			Partner   api.Partner `json:"partner"`
			ExpiresAt time.Time   `json:"expires_at"`
			Storage   string      `json:"credential_store"`
		}{o.Profile, login.Partner, login.ExpiresAt, credentials.SourceOf(store).String()})
	}
	cs := o.IO.ErrColorScheme()
	fmt.Fprintf(o.IO.ErrOut, "%s Logged in as %s (%s) until %s (%s)\n", cs.SuccessIcon(), cs.Bold(ui.SingleLine(login.Partner.Name)),
		ui.SingleLine(login.Partner.Email), login.ExpiresAt.UTC().Format(time.RFC3339), ui.RelativeTime(login.ExpiresAt, now))
	return nil
}

func channelName(ch string) string {
	if ch == string(contact.Email) {
		return "e-mail"
	}
	return "WhatsApp"
}
