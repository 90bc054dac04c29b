// Package contact validates and masks the destinations of one-time codes
// (WhatsApp numbers and e-mail addresses) and the codes themselves (docs/api.md#routes).
package contact

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Channel is how a one-time code is delivered.
type Channel string

const (
	WhatsApp Channel = "whatsapp"
	Email    Channel = "email"
)

// ParseChannel accepts "whatsapp" or "email".
func ParseChannel(s string) (Channel, error) {
	switch Channel(s) {
	case WhatsApp, Email:
		return Channel(s), nil
	}
	return "", fmt.Errorf("invalid channel %q: must be whatsapp or email", s)
}

// CodeLength is the number of digits of a one-time code.
const CodeLength = 6

// ErrCodeFormat is the error of a code that is not six ASCII digits.
var ErrCodeFormat = errors.New("the code must be exactly 6 digits")

// ValidateCode checks that code is exactly six ASCII digits.
func ValidateCode(code string) error {
	if len(code) != CodeLength {
		return ErrCodeFormat
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return ErrCodeFormat
		}
	}
	return nil
}

// NormalizeWhatsApp returns the E.164 form of a number: "+" and 8–15 digits,
// after removing spaces, dashes, dots and parentheses.
func NormalizeWhatsApp(s string) (string, error) {
	cleaned := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.', '\t':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	digits, ok := strings.CutPrefix(cleaned, "+")
	if !ok || len(digits) < 8 || len(digits) > 15 || digits[0] == '0' {
		return "", fmt.Errorf("invalid WhatsApp number: use the international E.164 form, like +5511999990000")
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", fmt.Errorf("invalid WhatsApp number: use the international E.164 form, like +5511999990000")
		}
	}
	return "+" + digits, nil
}

// BrazilianNational reads s as a Brazilian national number, like
// "(11) 99999-0000" or "011 99999-0000": a two-digit area code (DDD, 11 to
// 99) and an 8- or 9-digit number, without the country code. It returns the
// E.164 form (+5511999990000) and a readable one (+55 11 99999-0000). It is
// a guess, for a person to confirm before anything is sent; everywhere else
// a number must be E.164 (docs/api.md#routes).
func BrazilianNational(s string) (e164, display string, ok bool) {
	digits := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.', '\t':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if strings.HasPrefix(digits, "+") {
		return "", "", false
	}
	digits = strings.TrimPrefix(digits, "0") // the trunk prefix of long-distance calls
	if len(digits) != 10 && len(digits) != 11 {
		return "", "", false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", "", false
		}
	}
	if digits[0] == '0' || digits[1] == '0' {
		return "", "", false
	}
	area, number := digits[:2], digits[2:]
	split := len(number) - 4
	return "+55" + digits, "+55 " + area + " " + number[:split] + "-" + number[split:], true
}

// NormalizeEmail checks an e-mail address (one "@", a dot in the domain, at
// most 254 characters, no spaces or control characters) and lowercases it:
// addresses are matched without regard to case, as mail providers treat them.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	local, domain, ok := strings.Cut(s, "@")
	bad := !ok || local == "" || strings.Contains(domain, "@") || len(s) > 254 ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(s, " <>,;\"") || strings.IndexFunc(s, unicode.IsControl) >= 0
	if bad {
		return "", fmt.Errorf("invalid e-mail address: expected name@example.com")
	}
	return strings.ToLower(local + "@" + domain), nil
}

// Normalize validates dest for channel and returns its canonical form.
func Normalize(ch Channel, dest string) (string, error) {
	if ch == WhatsApp {
		return NormalizeWhatsApp(dest)
	}
	return NormalizeEmail(dest)
}

// Guess returns the channel a destination implies: e-mail when it has an "@".
func Guess(dest string) Channel {
	if strings.Contains(dest, "@") {
		return Email
	}
	return WhatsApp
}

// Mask hides most of a destination: "d**@example.com", "+55*******0000". It
// never shows the whole destination: a one-letter local part is hidden
// entirely, and a number keeps at least four digits hidden.
func Mask(ch Channel, dest string) string {
	if ch == Email {
		local, domain, ok := strings.Cut(dest, "@")
		if !ok {
			return "***"
		}
		r := []rune(local)
		if len(r) <= 1 {
			return "***@" + domain
		}
		return string(r[:1]) + strings.Repeat("*", min(len(r)-1, 5)) + "@" + domain
	}
	r := []rune(dest)
	const hiddenAtLeast = 4
	head, tail := 3, 4 // "+55" and the last four digits
	for len(r)-head-tail < hiddenAtLeast && head > 0 {
		head--
	}
	for len(r)-head-tail < hiddenAtLeast && tail > 0 {
		tail--
	}
	if tail == 0 {
		return "***"
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}
