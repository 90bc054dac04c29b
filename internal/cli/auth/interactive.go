package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
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
}

// requestCode asks for a code. With noRetry a refusal (the cooldown) is
// returned at once instead of waited out.
func requestCode(ctx context.Context, f *cmdutil.Factory, client *api.Client, ch contact.Channel, dest string, noRetry bool) (*challenge, error) {
	var c api.OTPChallenge
	resp, err := client.Do(ctx, api.Request{Method: http.MethodPost, Path: "/auth/otp",
		Body: api.OTPRequest{Channel: string(ch), Destination: dest}, NoRetry: noRetry}, &c)
	if err != nil {
		return nil, err
	}
	offset := time.Duration(0)
	if !resp.Date.IsZero() {
		offset = resp.Date.Sub(f.Now())
	}
	return &challenge{OTPChallenge: c, expires: c.ExpiresAt.Add(-offset), resendAt: c.ResendAfter.Add(-offset)}, nil
}

// interactiveLogin is the terminal flow of SPEC §4: ask what is missing,
// request a code, show a live countdown while the code is typed, re-prompt
// on a wrong code with the attempts left, offer a resend after the cooldown
// and a switch to e-mail.
func interactiveLogin(ctx context.Context, f *cmdutil.Factory, client *api.Client, store credentials.Store, o *LoginOptions) error {
	cs := f.IO.ErrColorScheme()
	errOut := f.IO.ErrOut
	keys := newKeyReader(f.IO.In)
	ed := &lineEditor{keys: keys, out: errOut, in: f.IO.In, cs: cs}

	ch, dest := o.destination()
	if dest == "" {
		for {
			answer, err := ed.readLine(ctx, func(typed string) string {
				return fmt.Sprintf("%s %s %s", cs.Accent("?"), cs.Bold("E-mail or WhatsApp number:"), typed)
			})
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

	c, err := requestCode(ctx, f, client, ch, dest, false)
	for err != nil {
		var apiErr *api.Error
		if ch != contact.WhatsApp || (errors.As(err, &apiErr) && apiErr.Code == api.CodeRateLimit) {
			return err
		}
		fmt.Fprintf(errOut, "%s Could not send the code by WhatsApp: %v\n", cs.FailureIcon(), err)
		ch, dest, err = askEmail(ctx, f, ed)
		if err != nil {
			return err
		}
		c, err = requestCode(ctx, f, client, ch, dest, false)
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

		var action codeAction
		var code string
		for {
			code, action, err = ed.readCode(ctx, c, ch == contact.WhatsApp)
			if err != nil {
				return err
			}
			if action != actionCode {
				break
			}
			login, verr := client.VerifyOTP(ctx, api.OTPVerifyRequest{VerificationID: c.VerificationID, Code: code})
			if verr == nil {
				return finishLogin(ctx, f, client, store, o, login)
			}
			var apiErr *api.Error
			if !errors.As(verr, &apiErr) || apiErr.Code != api.CodeVerification {
				return otpHint(verr)
			}
			if n, ok := attemptsLeft(apiErr); ok && n > 0 {
				fmt.Fprintf(errOut, "%s Wrong code. %d attempts left.\n", cs.FailureIcon(), n)
				continue
			}
			fmt.Fprintf(errOut, "%s %s. Press r to send a new code.\n", cs.FailureIcon(), apiErr.Message)
			c.expires = time.Now() // this code can no longer be used
		}
		nextCh, nextDest := ch, dest
		if action == actionSwitchEmail {
			nextCh, nextDest, err = askEmail(ctx, f, ed)
			if err != nil {
				return err
			}
		}
		// A refused request (that destination's cooldown) is said at once,
		// not waited out behind the person's back, and the code already
		// sent stays the one to type: nothing new was sent.
		next, err := requestCode(ctx, f, client, nextCh, nextDest, true)
		if err != nil {
			var apiErr *api.Error
			if errors.As(err, &apiErr) && apiErr.Code == api.CodeRateLimit {
				fmt.Fprintf(errOut, "%s %s\n", cs.FailureIcon(), otpRefusal(apiErr))
				announce = false
				continue
			}
			return err
		}
		ch, dest, c = nextCh, nextDest, next
	}
}

func askEmail(ctx context.Context, f *cmdutil.Factory, ed *lineEditor) (contact.Channel, string, error) {
	cs := f.IO.ErrColorScheme()
	for {
		answer, err := ed.readLine(ctx, func(typed string) string {
			return fmt.Sprintf("%s %s %s", cs.Accent("?"), cs.Bold("E-mail address of your partner account:"), typed)
		})
		if err != nil {
			return "", "", err
		}
		if e, err := contact.NormalizeEmail(answer); err == nil {
			return contact.Email, e, nil
		} else {
			fmt.Fprintf(f.IO.ErrOut, "%s %v\n", cs.FailureIcon(), err)
		}
	}
}

type codeAction int

const (
	actionCode codeAction = iota
	actionResend
	actionSwitchEmail
)

// keyReader delivers standard input byte by byte from one goroutine that
// lives as long as the process, so consecutive prompts never race for input.
type keyReader struct {
	bytes chan byte
	errs  chan error
}

func newKeyReader(in io.Reader) *keyReader {
	k := &keyReader{bytes: make(chan byte, 64), errs: make(chan error, 1)}
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := in.Read(buf)
			for _, b := range buf[:n] {
				k.bytes <- b
			}
			if err != nil {
				k.errs <- err
				return
			}
		}
	}()
	return k
}

// lineEditor reads a line in raw mode while redrawing it (every second when
// a countdown is shown). Control sequences only move the cursor and clear
// the line; colour still follows the colour scheme.
type lineEditor struct {
	keys *keyReader
	in   io.Reader
	out  io.Writer
	cs   *ui.ColorScheme
	// pushed is a key read while skipping an escape sequence that was not
	// part of it; next returns it first.
	pushed []byte
}

// width is the terminal's width in columns, 0 when unknown.
func (e *lineEditor) width() int {
	if f, ok := e.out.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 0
}

// draw replaces the current row with line. The line is kept to one row (cut
// with "…"): "\r\x1b[2K" clears one row only, so a line that wrapped would
// leave a copy of itself on the screen at every redraw.
func (e *lineEditor) draw(line string) {
	if w := e.width(); w > 1 && ansi.StringWidth(line) > w-1 {
		line = ansi.Truncate(line, w-1, "…")
	}
	fmt.Fprint(e.out, "\r\x1b[2K"+line)
}

func (e *lineEditor) raw() (restore func()) {
	if f, ok := e.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if st, err := term.MakeRaw(int(f.Fd())); err == nil {
			return func() { _ = term.Restore(int(f.Fd()), st) }
		}
	}
	return func() {}
}

// readLine reads visible text until Enter.
func (e *lineEditor) readLine(ctx context.Context, render func(typed string) string) (string, error) {
	restore := e.raw()
	defer restore()
	var typed []byte
	for {
		line := render(string(typed))
		// Too long for one row: show the end of what is typed, where the
		// cursor is.
		if w := e.width(); w > 1 && ansi.StringWidth(line) > w-1 {
			prompt := render("")
			if room := w - 2 - ansi.StringWidth(prompt); room > 0 && room < len(typed) {
				line = prompt + "…" + string(typed[len(typed)-room:])
			}
		}
		e.draw(line)
		b, err := e.next(ctx, nil)
		if err != nil {
			fmt.Fprint(e.out, "\r\n")
			return "", err
		}
		switch {
		case b == '\r' || b == '\n':
			fmt.Fprint(e.out, "\r\n")
			if s := strings.TrimSpace(string(typed)); s != "" {
				return s, nil
			}
		case b == 127 || b == 8:
			if len(typed) > 0 {
				typed = typed[:len(typed)-1]
			}
		case b >= 0x20 && b < 0x7f && len(typed) < 254:
			typed = append(typed, b)
		}
	}
}

// readCode reads six digits with a live countdown. Typed digits are shown as
// dots. r asks for a resend once the cooldown is over, e (offered for
// WhatsApp) a switch to e-mail.
func (e *lineEditor) readCode(ctx context.Context, c *challenge, offerEmail bool) (string, codeAction, error) {
	restore := e.raw()
	defer restore()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var typed []byte
	note := ""
	for {
		now := time.Now()
		left := c.expires.Sub(now)
		var status string
		switch {
		case left <= 0:
			status = e.cs.Failure("code expired") + " · press r for a new one"
		default:
			status = "expires in " + e.cs.Bold(ui.FormatDuration(left))
		}
		if wait := c.resendAt.Sub(now); wait > 0 {
			status += e.cs.Muted(fmt.Sprintf(" · resend in %ds", int(wait.Round(time.Second)/time.Second)))
		} else if left > 0 {
			status += e.cs.Muted(" · r: resend")
		}
		line := fmt.Sprintf("%s %s %s %s", e.cs.Accent("?"), e.cs.Bold("Code"), "("+status+"):", strings.Repeat("•", len(typed)))
		if note != "" {
			line += "  " + e.cs.Failure(note)
		}
		e.draw(line)
		b, err := e.next(ctx, tick.C)
		if err != nil {
			fmt.Fprint(e.out, "\r\n")
			return "", 0, err
		}
		if b == 0 { // tick
			continue
		}
		note = ""
		switch {
		case b >= '0' && b <= '9' && len(typed) < contact.CodeLength:
			typed = append(typed, b)
		case b == 127 || b == 8:
			if len(typed) > 0 {
				typed = typed[:len(typed)-1]
			}
		case b == '\r' || b == '\n':
			if left <= 0 {
				note = "the code has expired: press r"
				continue
			}
			if len(typed) != contact.CodeLength {
				note = "the code is 6 digits"
				continue
			}
			fmt.Fprint(e.out, "\r\n")
			return string(typed), actionCode, nil
		case b == 'r' || b == 'R':
			if c.resendAt.After(time.Now()) {
				note = "wait for the cooldown"
				continue
			}
			fmt.Fprint(e.out, "\r\n")
			return "", actionResend, nil
		case (b == 'e' || b == 'E') && offerEmail:
			fmt.Fprint(e.out, "\r\n")
			return "", actionSwitchEmail, nil
		}
	}
}

// next returns the next key, 0 on a tick or an ignored key, or an error:
// Ctrl-C and Ctrl-D (raw mode turns off the terminal's signals) cancel like
// an interrupt.
func (e *lineEditor) next(ctx context.Context, tick <-chan time.Time) (byte, error) {
	var b byte
	if len(e.pushed) > 0 {
		b, e.pushed = e.pushed[0], e.pushed[1:]
	} else {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick:
			return 0, nil
		case err := <-e.keys.errs:
			if errors.Is(err, io.EOF) {
				return 0, context.Canceled
			}
			return 0, err
		case b = <-e.keys.bytes:
		}
	}
	switch b {
	case 3, 4:
		return 0, context.Canceled
	case 0x1b:
		e.skipEscape(ctx)
		return 0, nil
	}
	return b, nil
}

// escTimeout is how long the rest of an escape sequence may take to arrive
// after its ESC; a lone ESC does nothing, so waiting costs nothing.
const escTimeout = 100 * time.Millisecond

// skipEscape drops the rest of the escape sequence an ESC started: arrow
// keys, Home, End, Delete and function keys send ESC [ … or ESC O …, and
// their bytes are no input ("[D" in an address, the 3 of Delete's ESC [ 3 ~
// in a code). Alt+key (ESC and the key) is dropped too.
func (e *lineEditor) skipEscape(ctx context.Context) {
	timeout := time.NewTimer(escTimeout)
	defer timeout.Stop()
	read := func() (byte, bool) {
		select {
		case b := <-e.keys.bytes:
			if b < 0x20 || b == 0x7f { // a control key ends the sequence and counts
				e.pushed = append(e.pushed, b)
				return 0, false
			}
			return b, true
		case <-timeout.C:
		case <-ctx.Done():
		}
		return 0, false
	}
	b, ok := read()
	switch {
	case !ok:
	case b == '[': // CSI: parameter and intermediate bytes, then one final byte
		for {
			if b, ok = read(); !ok || b >= 0x40 && b <= 0x7e {
				return
			}
		}
	case b == 'O': // SS3: one final byte
		read()
	}
}
