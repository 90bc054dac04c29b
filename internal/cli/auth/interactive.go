package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
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
}

// requestCode asks for a code. With noRetry a refusal (the cooldown) is
// returned at once instead of waited out.
func requestCode(ctx context.Context, o *LoginOptions, client *api.Client, ch contact.Channel, dest string, noRetry bool) (*challenge, error) {
	c, resp, err := client.RequestOTPWithResponse(ctx, api.OTPRequest{Channel: string(ch), Destination: dest}, noRetry)
	if err != nil {
		return nil, err
	}
	offset := time.Duration(0)
	if !resp.Date.IsZero() {
		offset = resp.Date.Sub(o.Now())
	}
	return &challenge{OTPChallenge: *c, expires: c.ExpiresAt.Add(-offset), resendAt: c.ResendAfter.Add(-offset)}, nil
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

	ch, dest := o.destination()
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
			fmt.Fprintf(errOut, "%s %v\n", cs.FailureIcon(), err)
		}
	}

	c, err := requestCode(ctx, o, client, ch, dest, false)
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

	announce := true
	for {
		if announce {
			fmt.Fprintf(errOut, "%s Sent a code by %s to %s %s\n", cs.SuccessIcon(), channelName(c.Channel), cs.Bold(ui.SingleLine(c.DestinationHint)),
				cs.Muted(fmt.Sprintf("(valid for %s)", ui.FormatDuration(time.Until(c.expires).Round(time.Second)))))
			hint := "Enter the 6-digit code. r: resend after the cooldown"
			if ch == contact.WhatsApp {
				hint += ", e: send by e-mail instead"
			}
			fmt.Fprintln(errOut, cs.Muted(hint+", Ctrl-C: cancel"))
		}
		announce = true

		var action ui.CodeAction
		var code string
		for {
			code, action, err = ed.ReadCode(ctx, c.prompt(ch == contact.WhatsApp))
			if err != nil {
				return err
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
			msg := apiErr.Message
			if _, ok := attemptsLeft(apiErr); ok {
				msg = "Wrong code, and no attempts are left on it"
			}
			fmt.Fprintf(errOut, "%s %s: a new code is needed.\n", cs.FailureIcon(), msg)
		}
		nextCh, nextDest := ch, dest
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
