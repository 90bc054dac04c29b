// Package contact validates and masks the destinations of one-time codes
// (WhatsApp numbers and e-mail addresses) and the codes themselves (SPEC §5).
package contact

import (
	"errors"
	"fmt"
	"strings"
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

// NormalizeEmail checks an e-mail address (one "@", a dot in the domain, at
// most 254 characters) and lowercases its domain.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	local, domain, ok := strings.Cut(s, "@")
	bad := !ok || local == "" || strings.Contains(domain, "@") || len(s) > 254 ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(s, " \t\r\n<>,;\"")
	if bad {
		return "", fmt.Errorf("invalid e-mail address: expected name@example.com")
	}
	return local + "@" + strings.ToLower(domain), nil
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

// Mask hides most of a destination: "d**@example.com", "+55 •••• ••0000".
func Mask(ch Channel, dest string) string {
	if ch == Email {
		local, domain, _ := strings.Cut(dest, "@")
		if len(local) <= 1 {
			return local + "***@" + domain
		}
		return local[:1] + strings.Repeat("*", min(len(local)-1, 5)) + "@" + domain
	}
	if len(dest) < 7 {
		return "***"
	}
	return dest[:3] + strings.Repeat("*", len(dest)-7) + dest[len(dest)-4:]
}
