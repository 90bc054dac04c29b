package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"
)

// CodeAction is what the person did at the code prompt.
type CodeAction int

// The actions of the code prompt.
const (
	CodeEntered     CodeAction = iota // typed the whole code and pressed Enter
	CodeResend                        // pressed r after the cooldown
	CodeSwitchEmail                   // pressed e (when offered)
	// CodeOther: typed something that is not a code (an address, a phone
	// number) and pressed Enter; the text is returned for the caller to
	// read, and no attempt is spent on it.
	CodeOther
)

// CodePrompt is what the code prompt shows: its deadlines on the local
// clock, how many digits a code has, whether e (switch to e-mail) is
// offered, and whether the code is dead (no attempts left on it).
//
// The prompt is one state machine: a live code is typed until it expires;
// a dead or expired code takes no more digits, and offers a new code with r
// once ResendAt has passed, with a countdown until then.
type CodePrompt struct {
	Expires, ResendAt time.Time
	Digits            int
	OfferEmail        bool
	Dead              bool
}

// NewLineEditor returns a line editor reading keys from s.In and drawing on
// s.ErrOut with s's stderr colour scheme. One editor serves every prompt of
// a command: its reader keeps reading stdin between prompts.
//
// It is the streams' one editor (IOStreams.Editor): two readers of one
// standard input would race for its keys.
func NewLineEditor(s *IOStreams) *LineEditor { return s.Editor() }

func newLineEditor(s *IOStreams) *LineEditor {
	return &LineEditor{keys: newKeyReader(s.In), in: s.In, out: s.ErrOut, cs: s.ErrColorScheme()}
}

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

// LineEditor reads a line in raw mode while redrawing it (every second when
// a countdown is shown). Control sequences only move the cursor and clear
// the line; colour still follows the colour scheme.
type LineEditor struct {
	keys *keyReader
	in   io.Reader
	out  io.Writer
	cs   *ColorScheme
	// pushed is a key read while skipping an escape sequence that was not
	// part of it; next returns it first.
	pushed []byte
	// atEOF: standard input has ended (next then returns context.Canceled).
	atEOF bool
	// lastCR: the last key was "\r", so a "\n" right after it is the
	// same Enter.
	lastCR bool
}

// width is the terminal's width in columns, 0 when unknown.
func (e *LineEditor) width() int {
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
func (e *LineEditor) draw(line string) {
	if w := e.width(); w > 1 && ansi.StringWidth(line) > w-1 {
		line = ansi.Truncate(line, w-1, "…")
	}
	fmt.Fprint(e.out, "\r\x1b[2K"+line)
}

func (e *LineEditor) raw() (restore func()) {
	if f, ok := e.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if st, err := term.MakeRaw(int(f.Fd())); err == nil {
			return func() { _ = term.Restore(int(f.Fd()), st) }
		}
	}
	return func() {}
}

// ReadLine asks "? label" and reads visible text until Enter; a blank
// answer asks again.
func (e *LineEditor) ReadLine(ctx context.Context, label string) (string, error) {
	return e.readLine(ctx, label, "", false)
}

// ReadText asks "? label" with initial already typed (it can be erased),
// and returns the line, which may be blank.
func (e *LineEditor) ReadText(ctx context.Context, label, initial string) (string, error) {
	return e.readLine(ctx, label, initial, true)
}

func (e *LineEditor) readLine(ctx context.Context, label, initial string, allowBlank bool) (string, error) {
	render := func(typed string) string {
		return fmt.Sprintf("%s %s %s", e.cs.Accent("?"), e.cs.Bold(label), typed)
	}
	restore := e.raw()
	defer restore()
	typed := []byte(initial)
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
			if e.atEOF && allowBlank && len(typed) > 0 {
				return strings.TrimSpace(string(typed)), nil // the last line, unterminated
			}
			return "", err
		}
		switch {
		case b == '\r' || b == '\n':
			fmt.Fprint(e.out, "\r\n")
			if s := strings.TrimSpace(string(typed)); s != "" || allowBlank {
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

// ReadHidden reads a line without drawing anything of it: a secret. Input
// that ends after some text returns that text.
func (e *LineEditor) ReadHidden(ctx context.Context) (string, error) {
	restore := e.raw()
	defer restore()
	var typed []byte
	for {
		b, err := e.next(ctx, nil)
		if err != nil {
			if e.atEOF && len(typed) > 0 {
				return string(typed), nil
			}
			return "", err
		}
		switch {
		case b == '\r' || b == '\n':
			return string(typed), nil
		case b == 127 || b == 8:
			if len(typed) > 0 {
				typed = typed[:len(typed)-1]
			}
		case b >= 0x20 && b < 0x7f && len(typed) < 4096:
			typed = append(typed, b)
		}
	}
}

// ReadCode reads p.Digits digits with a live countdown to p.Expires. Typed
// characters are shown as dots. r asks for a resend once p.ResendAt has
// passed, e (when p.OfferEmail) a switch to e-mail, both as the first key.
// A line that is not p.Digits digits (a phone number, an e-mail address) is
// never taken for a code: it is returned with CodeOther.
func (e *LineEditor) ReadCode(ctx context.Context, p CodePrompt) (string, CodeAction, error) {
	restore := e.raw()
	defer restore()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var typed []byte
	note := ""
	for {
		now := time.Now()
		left := p.Expires.Sub(now)
		wait := p.ResendAt.Sub(now)
		usable := left > 0 && !p.Dead
		var status string
		switch {
		case p.Dead:
			status = e.cs.Failure("no attempts left")
		case left <= 0:
			status = e.cs.Failure("code expired")
		default:
			status = "expires in " + e.cs.Bold(FormatDuration(left))
		}
		switch {
		case wait > 0 && usable:
			status += e.cs.Muted(fmt.Sprintf(" · resend in %ds", seconds(wait)))
		case wait > 0:
			status += e.cs.Muted(fmt.Sprintf(" · new code in %ds", seconds(wait)))
		case usable:
			status += e.cs.Muted(" · r: resend")
		default:
			status += " · " + e.cs.Bold("r: new code")
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
		first := len(typed) == 0
		switch {
		case b >= '0' && b <= '9' && len(typed) < maxCodeLine && usable:
			typed = append(typed, b)
		case b == 127 || b == 8:
			if len(typed) > 0 {
				typed = typed[:len(typed)-1]
			}
		case b == '\r' || b == '\n' || (b >= '0' && b <= '9' && !usable):
			if !usable {
				note = "this code can no longer be used"
				if wait > 0 {
					note += fmt.Sprintf(": a new one in %ds", seconds(wait))
				} else {
					note += ": press r for a new one"
				}
				continue
			}
			if len(typed) == 0 {
				note = fmt.Sprintf("the code is %d digits", p.Digits)
				continue
			}
			fmt.Fprint(e.out, "\r\n")
			if !isDigits(typed, p.Digits) {
				return string(typed), CodeOther, nil
			}
			return string(typed), CodeEntered, nil
		case first && (b == 'r' || b == 'R'):
			if wait := p.ResendAt.Sub(time.Now()); wait > 0 {
				note = fmt.Sprintf("a new code can be sent in %ds", seconds(wait))
				continue
			}
			fmt.Fprint(e.out, "\r\n")
			return "", CodeResend, nil
		case first && (b == 'e' || b == 'E') && p.OfferEmail:
			fmt.Fprint(e.out, "\r\n")
			return "", CodeSwitchEmail, nil
		case b > 0x20 && b < 0x7f && len(typed) < maxCodeLine && usable:
			typed = append(typed, b)
		}
	}
}

// maxCodeLine bounds what the code prompt takes: an e-mail address fits.
const maxCodeLine = 254

// isDigits reports whether b is exactly n ASCII digits.
func isDigits(b []byte, n int) bool {
	if len(b) != n {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// seconds is d in whole seconds, rounded up: "in 0s" is never shown while
// there is still time to wait.
func seconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }

// Wait shows label with a live countdown to until ("label 42s"), redrawn
// every second, and returns when it is reached; Ctrl-C cancels.
func (e *LineEditor) Wait(ctx context.Context, label string, until time.Time) error {
	restore := e.raw()
	defer restore()
	errs := e.keys.errs
	for {
		left := time.Until(until)
		if left <= 0 {
			e.draw("")
			fmt.Fprint(e.out, "\r")
			return nil
		}
		e.draw(fmt.Sprintf("%s %s %s %s", e.cs.Accent("…"), label, e.cs.Bold(fmt.Sprintf("%ds", seconds(left))), e.cs.Muted("(Ctrl-C: cancel)")))
		wait := time.NewTimer(min(left, time.Second))
		select {
		case <-ctx.Done():
			wait.Stop()
			fmt.Fprint(e.out, "\r\n")
			return ctx.Err()
		case err := <-errs:
			// Input ended: nothing to read while waiting. The error is put
			// back for the prompt that comes next.
			e.keys.errs <- err
			errs = nil
			<-wait.C
		case b := <-e.keys.bytes:
			wait.Stop()
			if b == 3 || b == 4 {
				fmt.Fprint(e.out, "\r\n")
				return context.Canceled
			}
		case <-wait.C:
		}
	}
}

// next returns the next key, 0 on a tick or an ignored key, or an error:
// Ctrl-C and Ctrl-D (raw mode turns off the terminal's signals) cancel like
// an interrupt.
func (e *LineEditor) next(ctx context.Context, tick <-chan time.Time) (byte, error) {
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
			// The keys read before the error come first: the reader sent
			// them before it, but select picks among ready cases at random.
			select {
			case b = <-e.keys.bytes:
				e.keys.errs <- err
			default:
				e.keys.errs <- err // for every read after this one too
				if errors.Is(err, io.EOF) {
					e.atEOF = true
					return 0, context.Canceled
				}
				return 0, err
			}
		case b = <-e.keys.bytes:
		}
	}
	// "\r\n" (a pipe, a pasted line) is one Enter, not two.
	cr := e.lastCR
	e.lastCR = b == '\r'
	if b == '\n' && cr {
		return e.next(ctx, tick)
	}
	switch b {
	case 3, 4:
		return 0, context.Canceled
	case 0x1b:
		// The arrow keys up and down are keys of their own (for lists);
		// every other sequence is dropped.
		switch e.skipEscape(ctx) {
		case 'A':
			return KeyUp, nil
		case 'B':
			return KeyDown, nil
		}
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
// It returns the final byte of a cursor key's sequence (A up, B down, C
// right, D left), 0 for anything else.
func (e *LineEditor) skipEscape(ctx context.Context) byte {
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
		plain := true
		for {
			if b, ok = read(); !ok {
				return 0
			}
			if b >= 0x40 && b <= 0x7e {
				if plain && b >= 'A' && b <= 'D' {
					return b
				}
				return 0
			}
			plain = false
		}
	case b == 'O': // SS3: one final byte
		if b, ok = read(); ok && b >= 'A' && b <= 'D' {
			return b
		}
	}
	return 0
}

// Keys that next returns for the cursor keys up and down; no byte typed
// as text has these values.
const (
	KeyUp   byte = 0xf1
	KeyDown byte = 0xf2
)

// Note writes a line under the last prompt, marked as a failure: what the
// answer should have been.
func (e *LineEditor) Note(msg string) {
	fmt.Fprintf(e.out, "%s %s\n", e.cs.FailureIcon(), msg)
}
