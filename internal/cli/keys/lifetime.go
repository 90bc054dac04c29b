package keys

import (
	"context"
	"fmt"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

// shortLifetime is the lifetime under which --expires-in is probably a
// mistake: "3m" is three minutes, which a Brazilian may read as três meses.
const shortLifetime = time.Hour

// lifetimeExpiry is the expiry --expires-in asks for, after confirming a
// lifetime under an hour. It counts from the server's clock (its Date
// header, as relative times are), not this machine's: the two differ when
// the emulator's clock was moved, and "90d" must mean 90 days on the clock
// that decides expiry. The server's time comes from GET /auth/session,
// which also checks the session before anything is changed.
func lifetimeExpiry(ctx context.Context, s *sessionClient, io *ui.IOStreams, prompter func() *ui.Prompter, expiresIn string, local time.Time) (*time.Time, error) {
	if err := confirmShortLifetime(io, prompter, expiresIn); err != nil {
		return nil, err
	}
	_, resp, err := s.client.Session(ctx, s.token())
	if err != nil {
		return nil, s.wrap(err)
	}
	return parseExpiry("", expiresIn, resp.ServerNow(local))
}

// confirmShortLifetime asks, on a terminal, before giving a key a lifetime
// under an hour, and warns on stderr otherwise; declined, nothing is sent
// (exit 2). "" or a longer lifetime passes silently.
func confirmShortLifetime(io *ui.IOStreams, prompter func() *ui.Prompter, expiresIn string) error {
	if expiresIn == "" {
		return nil
	}
	d, err := apikey.ParseLifetime(expiresIn)
	if err != nil || d >= shortLifetime {
		return nil
	}
	what := fmt.Sprintf("--expires-in %s makes the key expire %s after it is made (m is minutes: write 90d for days, 1y for years)", expiresIn, ui.FormatDuration(d))
	if !io.CanPrompt() {
		fmt.Fprintln(io.ErrOut, "Warning: "+what)
		return nil
	}
	ok, err := prompter().Confirm(what+". Go on?", false)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintln(io.ErrOut, "Nothing was sent.")
		return &cmdutil.SilentError{Kind: api.KindUsage}
	}
	return nil
}
