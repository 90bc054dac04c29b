package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// challenge is a requested code with its deadlines on the local clock: the
// server's clock may differ (the emulator's can be moved), so they are
// shifted by the offset of the server's Date header.
type challenge struct {
	api.OTPChallenge
	expires, resendAt time.Time
	// dead: no attempts are left on this code (or it expired or was used):
	// only a new code helps.
	dead bool
	// announced: where it went was said already (a pending code).
	announced bool
}

// requestCode asks for a code. With noRetry a refusal (the cooldown) is
// returned at once instead of waited out.
func requestCode(ctx context.Context, o *LoginOptions, client *api.Client, ch contact.Channel, dest string, noRetry bool) (*challenge, error) {
	c, resp, err := client.RequestOTP(ctx, api.OTPRequest{Channel: string(ch), Destination: dest}, noRetry)
	if err != nil {
		return nil, err
	}
	now := o.Now()
	offset := time.Duration(0)
	if !resp.Date.IsZero() {
		offset = resp.Date.Sub(now)
	}
	out := &challenge{OTPChallenge: *c, expires: c.ExpiresAt.Add(-offset), resendAt: c.ResendAfter.Add(-offset)}
	if dir, err := o.StateDir(); err == nil {
		savePending(dir, o.Profile, pending{VerificationID: c.VerificationID, Channel: c.Channel, Destination: dest,
			DestinationHint: c.DestinationHint, SentAt: now, Expires: out.expires, ResendAt: out.resendAt})
	}
	return out, nil
}

// pendingCode is the code requested earlier for this profile (and this
// destination, when one is given) that can still be typed, if any.
func pendingCode(o *LoginOptions, dest string) (*challenge, *pending, bool) {
	dir, err := o.StateDir()
	if err != nil {
		return nil, nil, false
	}
	p, ok := loadPending(dir, o.Profile, time.Now())
	if !ok || (dest != "" && p.Destination != dest) {
		return nil, nil, false
	}
	c := &challenge{OTPChallenge: api.OTPChallenge{VerificationID: p.VerificationID, Channel: p.Channel, DestinationHint: p.DestinationHint},
		expires: p.Expires, resendAt: p.ResendAt, announced: true}
	return c, p, true
}

// prompt is the code prompt of c.
func (c *challenge) prompt(offerEmail bool) ui.CodePrompt {
	return ui.CodePrompt{Expires: c.expires, ResendAt: c.resendAt, Digits: contact.CodeLength, OfferEmail: offerEmail, Dead: c.dead}
}

// interactiveLogin is the terminal flow of docs/cli/zupy_login.md: ask what is missing,
// request a code, show a live countdown while the code is typed, re-prompt
// on a wrong code with the attempts left, offer a resend after the cooldown
// and a switch to e-mail. Its steps are loginFlow's methods, in order.
func interactiveLogin(ctx context.Context, o *LoginOptions, client *api.Client, store credentials.Store) error {
	fl := &loginFlow{o: o, client: client, store: store, ed: ui.NewLineEditor(o.IO), cs: o.IO.ErrColorScheme(), errOut: o.IO.ErrOut}
	if keep, err := fl.confirmExisting(ctx); err != nil || keep {
		return err
	}
	if err := fl.askDestination(ctx); err != nil {
		return err
	}
	if err := fl.send(ctx); err != nil {
		return err
	}
	return fl.readCode(ctx)
}

// loginFlow is what the steps of an interactive login share: where the code
// goes (ch, dest) and the code sent (c).
type loginFlow struct {
	o      *LoginOptions
	client *api.Client
	store  credentials.Store
	ed     *ui.LineEditor
	cs     *ui.ColorScheme
	errOut io.Writer

	ch   contact.Channel
	dest string
	c    *challenge
	// otherCh and otherDest are an address typed at the code prompt and
	// confirmed: the next code goes there (ui.CodeOther).
	otherCh   contact.Channel
	otherDest string
}

// confirmExisting says, when the profile is logged in already, as whom and
// until when, and asks before a code is sent that would replace that
// session; keep is the answer no.
func (fl *loginFlow) confirmExisting(ctx context.Context) (keep bool, err error) {
	token, err := fl.store.Get(ctx, credentials.SessionAccount(fl.o.Profile))
	if err != nil {
		return false, nil
	}
	s, resp, err := fl.client.Session(ctx, token)
	if err != nil {
		return false, nil
	}
	left := s.ExpiresAt.Sub(resp.ServerNow(fl.o.Now()))
	again, err := askYesNo(ctx, fl.ed, fmt.Sprintf("Already logged in as %s <%s> until %s (%s left). Log in again?",
		ui.SingleLine(s.Partner.Name), ui.SingleLine(s.Partner.Email), s.ExpiresAt.UTC().Format(time.RFC3339), ui.FormatDuration(left)))
	if err != nil || again {
		return false, err
	}
	fmt.Fprintf(fl.errOut, "Kept the current session (profile %s).\n", fl.o.Profile)
	return true, nil
}

// askDestination settles where the code goes: the flags (a national number
// confirmed first), a code sent moments ago that can still be typed, or
// the answer to a prompt.
func (fl *loginFlow) askDestination(ctx context.Context) error {
	o := fl.o
	fl.ch, fl.dest = o.destination()
	if o.GuessedWhatsApp != "" {
		ok, err := confirmGuess(ctx, fl.ed, o.GuessedDisplay)
		if err != nil {
			return err
		}
		if !ok {
			return cmdutil.WithHint(cmdutil.Usagef("not sent: the number was not confirmed"), "Give it in the international form: --whatsapp +55…")
		}
		fl.ch, fl.dest = contact.WhatsApp, o.GuessedWhatsApp
	}
	// A code sent moments ago (by an earlier `zupy login` that was left) is
	// offered first: a new one would be refused for the cooldown anyway.
	if prev, p, ok := pendingCode(o, fl.dest); ok && (o.Channel == "" || o.Channel == prev.Channel) {
		resume := true
		if fl.dest == "" {
			// The address was not given this time: the pending code may
			// have gone to a mistyped one, so ask before resuming it, and
			// take another address as the answer.
			var otherCh contact.Channel
			var other string
			var err error
			if resume, otherCh, other, err = askResume(ctx, o, fl.ed, prev, p); err != nil {
				return err
			}
			if !resume {
				o.forgetPending()
				fl.ch, fl.dest = otherCh, other
			}
		}
		if resume {
			fl.c, fl.dest, fl.ch = prev, p.Destination, contact.Channel(prev.Channel)
			fmt.Fprintf(fl.errOut, "%s A code was sent by %s to %s %s ago and is still valid: enter it (r: a new one, once the cooldown allows)\n",
				fl.cs.SuccessIcon(), channelName(fl.c.Channel), fl.cs.Bold(ui.SingleLine(fl.c.DestinationHint)), ui.FormatDuration(time.Since(p.SentAt)))
		}
	}
	for fl.dest == "" {
		answer, err := fl.ed.ReadLine(ctx, "E-mail or WhatsApp number:")
		if err != nil {
			return err
		}
		fl.ch = contact.Guess(answer)
		if o.Channel != "" {
			fl.ch = contact.Channel(o.Channel)
		}
		norm, err := contact.Normalize(fl.ch, answer)
		if err == nil {
			fl.dest = norm
			break
		}
		if e164, display, ok := contact.BrazilianNational(answer); ok && fl.ch == contact.WhatsApp {
			yes, cerr := confirmGuess(ctx, fl.ed, display)
			if cerr != nil {
				return cerr
			}
			if yes {
				fl.dest = e164
			}
			continue
		}
		fmt.Fprintf(fl.errOut, "%s %s\n", fl.cs.FailureIcon(), ui.SingleLine(err.Error()))
	}
	return nil
}

// send requests the code, unless one is pending; a WhatsApp code that
// cannot be sent (but not a rate limit) falls back to an e-mail address
// asked for.
func (fl *loginFlow) send(ctx context.Context) error {
	if fl.c != nil {
		return nil
	}
	var err error
	fl.c, err = requestWaiting(ctx, fl.o, fl.client, fl.ed, fl.ch, fl.dest)
	for err != nil {
		var apiErr *api.Error
		if fl.ch != contact.WhatsApp || (errors.As(err, &apiErr) && apiErr.Kind() == api.KindRateLimited) {
			return err
		}
		fmt.Fprintf(fl.errOut, "%s Could not send the code by WhatsApp: %s\n", fl.cs.FailureIcon(), ui.SingleLine(err.Error()))
		if fl.ch, fl.dest, err = askEmail(ctx, fl.o, fl.ed); err != nil {
			return err
		}
		fl.c, err = requestCode(ctx, fl.o, fl.client, fl.ch, fl.dest, false)
	}
	return nil
}

// readCode reads codes until one logs in: a wrong one is re-prompted with
// the attempts left; r asks for a new code and e (for WhatsApp) for one by
// e-mail.
func (fl *loginFlow) readCode(ctx context.Context) error {
	announce := !fl.c.announced
	for {
		if announce {
			fl.announce()
		}
		announce = true
		action, err := fl.enterCode(ctx)
		if err != nil || action == ui.CodeEntered {
			return err
		}
		if announce, err = fl.resend(ctx, action); err != nil {
			return err
		}
	}
}

// announce says where the code went, for how long it is valid, and the keys
// the prompt takes.
func (fl *loginFlow) announce() {
	cs := fl.cs
	fmt.Fprintf(fl.errOut, "%s Sent a code by %s to %s %s\n", cs.SuccessIcon(), channelName(fl.c.Channel), cs.Bold(ui.SingleLine(fl.c.DestinationHint)),
		cs.Muted(fmt.Sprintf("(valid for %s)", ui.FormatDuration(time.Until(fl.c.expires).Round(time.Second)))))
	hint := "Enter the 6-digit code. r: resend after the cooldown"
	if fl.ch == contact.WhatsApp {
		hint += ", e: send by e-mail instead"
	}
	fmt.Fprintln(fl.errOut, cs.Muted(hint+", Ctrl-C: cancel"))
	fmt.Fprintln(fl.errOut, cs.Muted("Wrong address? Type the right one instead of the code, or run `"+
		cmdutil.ZupyCommand(fl.o.Profile, "login --email ADDR")+"` (or --whatsapp NUMBER)"))
}

// enterCode reads and verifies codes of fl.c until one logs in (returned
// as ui.CodeEntered) or the person asks for another code.
func (fl *loginFlow) enterCode(ctx context.Context) (ui.CodeAction, error) {
	cs := fl.cs
	for {
		code, action, err := fl.ed.ReadCode(ctx, fl.c.prompt(fl.ch == contact.WhatsApp))
		if err == nil && action == ui.CodeOther {
			// Never sent as a code: an address is offered as the new
			// destination, anything else refused, no attempt spent.
			otherCh, other, ok := parseAddress(fl.o, code)
			if !ok {
				fmt.Fprintf(fl.errOut, "%s The code is %d digits (no attempt was used).\n", cs.FailureIcon(), contact.CodeLength)
				continue
			}
			yes, err := askYesNo(ctx, fl.ed, fmt.Sprintf("That is an address, not a code. Send a new code to %s instead?", ui.SingleLine(other)))
			if err != nil {
				return action, err
			}
			if !yes {
				continue
			}
			fl.o.forgetPending()
			fl.otherCh, fl.otherDest = otherCh, other
			return action, nil
		}
		if err != nil || action != ui.CodeEntered {
			return action, err
		}
		login, resp, verr := fl.client.VerifyOTP(ctx, api.OTPVerifyRequest{VerificationID: fl.c.VerificationID, Code: code})
		if verr == nil {
			return ui.CodeEntered, finishLogin(ctx, fl.o, fl.client, fl.store, login, resp.ServerNow(fl.o.Now()))
		}
		var apiErr *api.Error
		if !errors.As(verr, &apiErr) || apiErr.Kind() != api.KindVerification {
			return ui.CodeEntered, otpHint(verr)
		}
		if n, ok := attemptsLeft(apiErr); ok && n > 0 {
			fmt.Fprintf(fl.errOut, "%s Wrong code. %s left.\n", cs.FailureIcon(), ui.Plural(n, "attempt"))
			continue
		}
		// This code is dead: the prompt now offers a new one, with the
		// countdown of the cooldown until it can be sent.
		fl.c.dead = true
		fl.o.forgetPending()
		msg := apiErr.Message
		if _, ok := attemptsLeft(apiErr); ok {
			msg = "Wrong code, and no attempts are left on it"
		}
		fmt.Fprintf(fl.errOut, "%s %s: a new code is needed.\n", cs.FailureIcon(), ui.SingleLine(msg))
	}
}

// resend sends a new code for action (r: to the same place, e: to an
// e-mail address asked for, or to the address typed at the prompt). A refused request (that destination's
// cooldown) is said at once, not waited out behind the person's back, and
// the code already sent stays the one to type: nothing new was sent, and
// announce is false.
func (fl *loginFlow) resend(ctx context.Context, action ui.CodeAction) (announce bool, err error) {
	nextCh, nextDest := fl.ch, fl.dest
	if action == ui.CodeOther {
		nextCh, nextDest = fl.otherCh, fl.otherDest
	}
	if action == ui.CodeSwitchEmail {
		if nextCh, nextDest, err = askEmail(ctx, fl.o, fl.ed); err != nil {
			return false, err
		}
	}
	next, err := requestCode(ctx, fl.o, fl.client, nextCh, nextDest, true)
	if err != nil {
		var apiErr *api.Error
		if errors.As(err, &apiErr) && apiErr.Kind() == api.KindRateLimited {
			fmt.Fprintf(fl.errOut, "%s %s\n", fl.cs.FailureIcon(), ui.SingleLine(otpRefusal(apiErr)))
			return false, nil
		}
		return false, err
	}
	fl.ch, fl.dest, fl.c = nextCh, nextDest, next
	return true, nil
}

// confirmGuess asks whether a national number read as Brazilian is the
// right one, before anything is sent to it.
func confirmGuess(ctx context.Context, ed *ui.LineEditor, display string) (bool, error) {
	return askYesNo(ctx, ed, fmt.Sprintf("Send the code by WhatsApp to %s (Brazil)?", display))
}

// askYesNo asks question until the answer is yes or no, saying what it
// expects after any other answer.
func askYesNo(ctx context.Context, ed *ui.LineEditor, question string) (bool, error) {
	for {
		answer, err := ed.ReadLine(ctx, question+" [y/n]")
		if err != nil {
			return false, err
		}
		if strings.TrimSpace(answer) != "" {
			if yes, ok := ui.YesNo(answer, false); ok {
				return yes, nil
			}
		}
		ed.Note("Answer y (yes) or n (no)")
	}
}

// requestWaiting requests a code; when the server refuses for the resend
// cooldown (a code went to that destination moments ago, from elsewhere),
// it waits the time the server names with a visible countdown, then asks
// once more. Other refusals are returned as they are.
func requestWaiting(ctx context.Context, o *LoginOptions, client *api.Client, ed *ui.LineEditor, ch contact.Channel, dest string) (*challenge, error) {
	c, err := requestCode(ctx, o, client, ch, dest, true)
	var apiErr *api.Error
	if err == nil || !errors.As(err, &apiErr) || apiErr.ServerCode() != wire.ErrOTPResendCooldown {
		return c, err
	}
	wait, ok := apiErr.Details[wire.DetailRetryAfter].(float64)
	if !ok || wait <= 0 || wait > 60 {
		return nil, err
	}
	if err := ed.Wait(ctx, "A code was sent there less than a minute ago; a new one can be sent in", time.Now().Add(time.Duration(wait)*time.Second)); err != nil {
		return nil, err
	}
	return requestCode(ctx, o, client, ch, dest, false)
}

func askEmail(ctx context.Context, o *LoginOptions, ed *ui.LineEditor) (contact.Channel, string, error) {
	cs := o.IO.ErrColorScheme()
	for {
		answer, err := ed.ReadLine(ctx, "E-mail address of your partner account:")
		if err != nil {
			return "", "", err
		}
		if e, err := contact.NormalizeEmail(answer); err == nil {
			return contact.Email, e, nil
		} else {
			fmt.Fprintf(o.IO.ErrOut, "%s %s\n", cs.FailureIcon(), ui.SingleLine(err.Error()))
		}
	}
}

// askResume asks whether to go on with the code sent earlier to p's
// address: yes (or Enter) resumes it, no asks for an address, and an
// address typed as the answer is the new destination (docs/getting-started.md).
func askResume(ctx context.Context, o *LoginOptions, ed *ui.LineEditor, c *challenge, p *pending) (resume bool, ch contact.Channel, dest string, err error) {
	cs := o.IO.ErrColorScheme()
	question := fmt.Sprintf("Use the code sent to %s %s ago? [Y/n, or type another address]", ui.SingleLine(c.DestinationHint), ui.FormatDuration(time.Since(p.SentAt)))
	for {
		answer, err := ed.ReadText(ctx, question, "") // Enter is yes
		if err != nil {
			return false, "", "", err
		}
		switch strings.ToLower(strings.TrimSpace(answer)) {
		case "", "y", "yes", "s", "sim":
			return true, "", "", nil
		case "n", "no", "nao", "não":
			return false, "", "", nil
		}
		if ch, dest, ok := parseAddress(o, answer); ok {
			return false, ch, dest, nil
		}
		fmt.Fprintf(o.IO.ErrOut, "%s Answer y or n, or type an e-mail address or a WhatsApp number (+55…)\n", cs.FailureIcon())
	}
}

// parseAddress reads text as an e-mail address or a WhatsApp number in the
// forms login takes (--channel, when given, decides which).
func parseAddress(o *LoginOptions, text string) (contact.Channel, string, bool) {
	ch := contact.Guess(text)
	if o.Channel != "" {
		ch = contact.Channel(o.Channel)
	}
	if dest, err := contact.Normalize(ch, text); err == nil {
		return ch, dest, true
	}
	// A Brazilian number without +55: the question that offers it names
	// it in full, which is the confirmation confirmGuess asks for.
	if e164, _, ok := contact.BrazilianNational(text); ok && ch == contact.WhatsApp {
		return ch, e164, true
	}
	return "", "", false
}
