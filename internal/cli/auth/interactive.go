package auth

import (
	"context"
	"errors"
	"fmt"
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
	c, resp, err := client.RequestOTPWithResponse(ctx, api.OTPRequest{Channel: string(ch), Destination: dest}, noRetry)
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

// interactiveLogin is the terminal flow of SPEC §4: ask what is missing,
// request a code, show a live countdown while the code is typed, re-prompt
// on a wrong code with the attempts left, offer a resend after the cooldown
// and a switch to e-mail.
func interactiveLogin(ctx context.Context, o *LoginOptions, client *api.Client, store credentials.Store) error {
	cs := o.IO.ErrColorScheme()
	errOut := o.IO.ErrOut
	ed := ui.NewLineEditor(o.IO)

	// Already logged in: say as whom and until when, and ask before a
	// code is sent that would replace that session.
	if token, err := store.Get(ctx, credentials.SessionAccount(o.Profile)); err == nil {
		if s, resp, err := client.SessionWithResponse(ctx, token); err == nil {
			left := s.ExpiresAt.Sub(resp.ServerNow(o.Now()))
			again, err := askYesNo(ctx, ed, fmt.Sprintf("Already logged in as %s <%s> until %s (%s left). Log in again?",
				ui.SingleLine(s.Partner.Name), ui.SingleLine(s.Partner.Email), s.ExpiresAt.UTC().Format(time.RFC3339), ui.FormatDuration(left)))
			if err != nil {
				return err
			}
			if !again {
				fmt.Fprintf(errOut, "Kept the current session (profile %s).\n", o.Profile)
				return nil
			}
		}
	}

	ch, dest := o.destination()
	if o.GuessedWhatsApp != "" {
		ok, err := confirmGuess(ctx, ed, o.GuessedDisplay)
		if err != nil {
			return err
		}
		if !ok {
			return cmdutil.WithHint(cmdutil.Usagef("not sent: the number was not confirmed"), "Give it in the international form: --whatsapp +55…")
		}
		ch, dest = contact.WhatsApp, o.GuessedWhatsApp
	}
	// A code sent moments ago (by an earlier `zupy login` that was left) is
	// offered first: a new one would be refused for the cooldown anyway.
	var c *challenge
	if prev, p, ok := pendingCode(o, dest); ok && (o.Channel == "" || o.Channel == prev.Channel) {
		resume := true
		if dest == "" {
			// The address was not given this time: the pending code may
			// have gone to a mistyped one, so ask before resuming it, and
			// take another address as the answer.
			var otherCh contact.Channel
			var other string
			var err error
			resume, otherCh, other, err = askResume(ctx, o, ed, prev, p)
			if err != nil {
				return err
			}
			if !resume {
				o.forgetPending()
				ch, dest = otherCh, other
			}
		}
		if resume {
			c, dest, ch = prev, p.Destination, contact.Channel(prev.Channel)
			fmt.Fprintf(errOut, "%s A code was sent by %s to %s %s ago and is still valid: enter it (r: a new one, once the cooldown allows)\n",
				cs.SuccessIcon(), channelName(c.Channel), cs.Bold(ui.SingleLine(c.DestinationHint)), ui.FormatDuration(time.Since(p.SentAt)))
		}
	}
	if dest == "" {
		for {
			answer, err := ed.ReadLine(ctx, "E-mail or WhatsApp number:")
			if err != nil {
				return err
			}
			ch = contact.Guess(answer)
			if o.Channel != "" {
				ch = contact.Channel(o.Channel)
			}
			norm, err := contact.Normalize(ch, answer)
			if err == nil {
				dest = norm
				break
			}
			if e164, display, ok := contact.BrazilianNational(answer); ok && ch == contact.WhatsApp {
				yes, cerr := confirmGuess(ctx, ed, display)
				if cerr != nil {
					return cerr
				}
				if yes {
					dest = e164
					break
				}
				continue
			}
			fmt.Fprintf(errOut, "%s %v\n", cs.FailureIcon(), err)
		}
	}

	var err error
	if c == nil {
		c, err = requestWaiting(ctx, o, client, ed, ch, dest)
	}
	for err != nil {
		var apiErr *api.Error
		if ch != contact.WhatsApp || (errors.As(err, &apiErr) && apiErr.Kind() == api.KindRateLimited) {
			return err
		}
		fmt.Fprintf(errOut, "%s Could not send the code by WhatsApp: %v\n", cs.FailureIcon(), err)
		ch, dest, err = askEmail(ctx, o, ed)
		if err != nil {
			return err
		}
		c, err = requestCode(ctx, o, client, ch, dest, false)
	}

	announce := !c.announced
	for {
		if announce {
			fmt.Fprintf(errOut, "%s Sent a code by %s to %s %s\n", cs.SuccessIcon(), channelName(c.Channel), cs.Bold(ui.SingleLine(c.DestinationHint)),
				cs.Muted(fmt.Sprintf("(valid for %s)", ui.FormatDuration(time.Until(c.expires).Round(time.Second)))))
			hint := "Enter the 6-digit code. r: resend after the cooldown"
			if ch == contact.WhatsApp {
				hint += ", e: send by e-mail instead"
			}
			fmt.Fprintln(errOut, cs.Muted(hint+", Ctrl-C: cancel"))
			fmt.Fprintln(errOut, cs.Muted("Wrong address? Type the right one instead of the code, or run `"+
				cmdutil.ZupyCommand(o.Profile, "login --email ADDR")+"` (or --whatsapp NUMBER)"))
		}
		announce = true

		var action ui.CodeAction
		var code string
		var nextCh contact.Channel
		var nextDest string
		for {
			code, action, err = ed.ReadCode(ctx, c.prompt(ch == contact.WhatsApp))
			if err != nil {
				return err
			}
			if action == ui.CodeOther {
				// Never sent as a code: an address is offered as the new
				// destination, anything else refused, no attempt spent.
				otherCh, other, ok := parseAddress(o, code)
				if !ok {
					fmt.Fprintf(errOut, "%s The code is %d digits (no attempt was used).\n", cs.FailureIcon(), contact.CodeLength)
					continue
				}
				yes, err := askYesNo(ctx, ed, fmt.Sprintf("That is an address, not a code. Send a new code to %s instead?", ui.SingleLine(other)))
				if err != nil {
					return err
				}
				if !yes {
					continue
				}
				o.forgetPending()
				nextCh, nextDest = otherCh, other
				break
			}
			if action != ui.CodeEntered {
				break
			}
			login, resp, verr := client.VerifyOTPWithResponse(ctx, api.OTPVerifyRequest{VerificationID: c.VerificationID, Code: code})
			if verr == nil {
				return finishLogin(ctx, o, client, store, login, resp.ServerNow(o.Now()))
			}
			var apiErr *api.Error
			if !errors.As(verr, &apiErr) || apiErr.Kind() != api.KindVerification {
				return otpHint(verr)
			}
			if n, ok := attemptsLeft(apiErr); ok && n > 0 {
				fmt.Fprintf(errOut, "%s Wrong code. %s left.\n", cs.FailureIcon(), plural(n, "attempt"))
				continue
			}
			// This code is dead: the prompt now offers a new one, with the
			// countdown of the cooldown until it can be sent.
			c.dead = true
			o.forgetPending()
			msg := apiErr.Message
			if _, ok := attemptsLeft(apiErr); ok {
				msg = "Wrong code, and no attempts are left on it"
			}
			fmt.Fprintf(errOut, "%s %s: a new code is needed.\n", cs.FailureIcon(), msg)
		}
		if action != ui.CodeOther {
			nextCh, nextDest = ch, dest
		}
		if action == ui.CodeSwitchEmail {
			nextCh, nextDest, err = askEmail(ctx, o, ed)
			if err != nil {
				return err
			}
		}
		// A refused request (that destination's cooldown) is said at once,
		// not waited out behind the person's back, and the code already
		// sent stays the one to type: nothing new was sent.
		next, err := requestCode(ctx, o, client, nextCh, nextDest, true)
		if err != nil {
			var apiErr *api.Error
			if errors.As(err, &apiErr) && apiErr.Kind() == api.KindRateLimited {
				fmt.Fprintf(errOut, "%s %s\n", cs.FailureIcon(), otpRefusal(apiErr))
				announce = false
				continue
			}
			return err
		}
		ch, dest, c = nextCh, nextDest, next
	}
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
			fmt.Fprintf(o.IO.ErrOut, "%s %v\n", cs.FailureIcon(), err)
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
