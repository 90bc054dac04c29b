package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func editor(input string) (*LineEditor, *bytes.Buffer) {
	var out bytes.Buffer
	s := Test(strings.NewReader(input), &bytes.Buffer{}, &out)
	return NewLineEditor(s), &out
}

func TestReadLineSkipsCursorKeysAndBackspace(t *testing.T) {
	// "dev@exampel", Backspace twice, "le.com", a left arrow (ESC [ D), Enter.
	ed, out := editor("dev@exampel\x7f\x7fle.com\x1b[D\r")
	got, err := ed.ReadLine(context.Background(), "E-mail:")
	if err != nil || got != "dev@example.com" {
		t.Fatalf("ReadLine = %q, %v", got, err)
	}
	if !strings.Contains(out.String(), "? E-mail: dev@example.com") {
		t.Errorf("prompt not drawn: %q", out.String())
	}
}

func TestReadLineCtrlCCancels(t *testing.T) {
	ed, _ := editor("abc\x03")
	if _, err := ed.ReadLine(context.Background(), "x"); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestReadCodeTakesOnlySixDigitsAsACode(t *testing.T) {
	ed, out := editor("123456\r")
	p := CodePrompt{Expires: time.Now().Add(time.Hour), ResendAt: time.Now().Add(time.Hour), Digits: 6}
	code, action, err := ed.ReadCode(context.Background(), p)
	if err != nil || action != CodeEntered || code != "123456" {
		t.Fatalf("ReadCode = %q, %v, %v", code, action, err)
	}
	if strings.Contains(out.String(), "123456") || !strings.Contains(out.String(), "••••••") {
		t.Errorf("the code was echoed or not masked: %q", out.String())
	}
}

// A phone number or an e-mail address typed at the code prompt is returned
// as what it is, never cut to six digits and sent as a code.
func TestReadCodeReturnsAnAddressAsOther(t *testing.T) {
	for _, typed := range []string{"11987654321", "+55 11 98765-4321", "dev@example.com", "12ab34567", "1234567"} {
		ed, out := editor(typed + "\r")
		p := CodePrompt{Expires: time.Now().Add(time.Hour), ResendAt: time.Now().Add(time.Hour), Digits: 6, OfferEmail: true}
		text, action, err := ed.ReadCode(context.Background(), p)
		want := strings.ReplaceAll(typed, " ", "")
		if err != nil || action != CodeOther || text != want {
			t.Errorf("typed %q: ReadCode = %q, %v, %v; want %q, CodeOther", typed, text, action, err, want)
		}
		if strings.Contains(out.String(), typed) {
			t.Errorf("typed %q was echoed: %q", typed, out.String())
		}
	}
}

func TestReadCodeOffersResendOnlyAfterTheCooldown(t *testing.T) {
	// r during the cooldown is refused with a note; e is offered and taken.
	ed, out := editor("re")
	p := CodePrompt{Expires: time.Now().Add(time.Hour), ResendAt: time.Now().Add(time.Hour), Digits: 6, OfferEmail: true}
	_, action, err := ed.ReadCode(context.Background(), p)
	if err != nil || action != CodeSwitchEmail || !strings.Contains(out.String(), "a new code can be sent in 3600s") {
		t.Fatalf("action %v, err %v, screen %q", action, err, out.String())
	}
	ed, _ = editor("r")
	p.ResendAt = time.Now().Add(-time.Second)
	if _, action, err := ed.ReadCode(context.Background(), p); err != nil || action != CodeResend {
		t.Fatalf("after the cooldown: action %v, err %v", action, err)
	}
}

func TestReadCodeOnADeadCodeOffersANewOneWithItsCountdown(t *testing.T) {
	// No attempts left: digits are refused, r waits for the cooldown, and
	// the status says so with the time left.
	ed, out := editor("1r\x03")
	p := CodePrompt{Expires: time.Now().Add(time.Hour), ResendAt: time.Now().Add(30 * time.Second), Digits: 6, Dead: true}
	_, _, err := ed.ReadCode(context.Background(), p)
	if err == nil {
		t.Fatal("Ctrl-C did not cancel")
	}
	s := out.String()
	for _, want := range []string{"no attempts left · new code in 30s", "this code can no longer be used: a new one in 30s", "a new code can be sent in 30s"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q: %q", want, s)
		}
	}
	if strings.Contains(s, "•") {
		t.Errorf("a dead code took a digit: %q", s)
	}
	// After the cooldown r asks for the new code.
	ed, out = editor("r")
	p.ResendAt = time.Now().Add(-time.Second)
	if _, action, err := ed.ReadCode(context.Background(), p); err != nil || action != CodeResend {
		t.Fatalf("after the cooldown: action %v, err %v", action, err)
	}
	if !strings.Contains(out.String(), "r: new code") {
		t.Errorf("the new code is not offered: %q", out.String())
	}
}
