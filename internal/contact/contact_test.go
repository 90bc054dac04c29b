package contact

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidateCodeAcceptsSixASCIIDigits(t *testing.T) {
	for _, code := range []string{"123456", "000000", "999999", "048213"} {
		if err := ValidateCode(code); err != nil {
			t.Errorf("ValidateCode(%q) = %v", code, err)
		}
	}
}

func TestValidateCodeRejectsEverythingElse(t *testing.T) {
	for _, code := range []string{
		"", "12345", "1234567", "12345a", "a12345", "12 345", " 123456", "123456\n",
		"١٢٣٤٥٦", // Arabic-Indic digits
		"１２３４５６", // full-width digits
		"12345٦", "-12345", "+12345", "12.345", "1e5000",
	} {
		if err := ValidateCode(code); !errors.Is(err, ErrCodeFormat) {
			t.Errorf("ValidateCode(%q) = %v, want ErrCodeFormat", code, err)
		}
	}
	if CodeLength != 6 {
		t.Errorf("CodeLength = %d", CodeLength)
	}
}

func TestValidateCodeErrorDoesNotEchoTheCode(t *testing.T) {
	err := ValidateCode("98765x")
	if err == nil || strings.Contains(err.Error(), "98765") {
		t.Errorf("ValidateCode error = %v, want one without the code", err)
	}
}

func TestNormalizeWhatsAppReturnsE164(t *testing.T) {
	tests := map[string]string{
		"+55 (11) 99999-0000": "+5511999990000",
		"+5511999990000":      "+5511999990000",
		" +1 415.555.2671 ":   "+14155552671",
		"+44\t20 7946 0958":   "+442079460958",
		"+12345678":           "+12345678",        // 8 digits
		"+123456789012345":    "+123456789012345", // 15 digits
	}
	for in, want := range tests {
		got, err := NormalizeWhatsApp(in)
		if err != nil || got != want {
			t.Errorf("NormalizeWhatsApp(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNormalizeWhatsAppRejectsInvalidNumbers(t *testing.T) {
	for _, in := range []string{
		"+1234567",          // 7 digits
		"+1234567890123456", // 16 digits
		"5511999990000",     // no +
		"005511999990000",
		"+55 11 9999O-0000", // letter O
		"+55abc99990000",
		"+0511999990000", // country codes never start with 0
		"++5511999990000",
		"+55+11999990000",
		"+٥٥١١٩٩٩٩٩٠٠٠٠", // Arabic-Indic digits
		"", "+", "whatsapp",
		"55+11999990000",
	} {
		if got, err := NormalizeWhatsApp(in); err == nil {
			t.Errorf("NormalizeWhatsApp(%q) = %q, want error", in, got)
		}
	}
}

func TestNormalizeWhatsAppErrorShowsTheExpectedForm(t *testing.T) {
	_, err := NormalizeWhatsApp("123")
	if err == nil || !strings.Contains(err.Error(), "E.164") || !strings.Contains(err.Error(), "+5511999990000") {
		t.Errorf("error = %v, want it to explain the E.164 form", err)
	}
}

func TestNormalizeEmailLowercasesDomainOnly(t *testing.T) {
	tests := map[string]string{
		"Dev@Example.COM":         "dev@example.com",
		" ana.silva@loja.com.br ": "ana.silva@loja.com.br",
		"a+tag@sub.example.io":    "a+tag@sub.example.io",
		"x@y.z":                   "x@y.z",
	}
	for in, want := range tests {
		got, err := NormalizeEmail(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNormalizeEmailLengthLimit(t *testing.T) {
	domain := "@example.com"
	ok := strings.Repeat("a", 254-len(domain)) + domain
	if _, err := NormalizeEmail(ok); err != nil {
		t.Errorf("254-character address refused: %v", err)
	}
	long := strings.Repeat("a", 255-len(domain)) + domain
	if _, err := NormalizeEmail(long); err == nil {
		t.Error("255-character address accepted")
	}
}

func TestNormalizeEmailRejectsMalformedAddresses(t *testing.T) {
	for _, in := range []string{
		"", "dev", "dev@", "@example.com", "dev@example", "dev@@example.com", "a@b@example.com",
		"dev@.example.com", "dev@example.com.", "dev @example.com", "dev@exa mple.com",
		"<dev@example.com>", "dev@example.com,ops@example.com", "dev@example.com;x",
		`"dev"@example.com`, "dev\r\n@example.com", "dev@example.com\r\nBcc: x@y.z",
		"dev\x00@example.com", "dev@exa\x7fmple.com", "dev\u0085@example.com",
	} {
		if got, err := NormalizeEmail(in); err == nil {
			t.Errorf("NormalizeEmail(%q) = %q, want error", in, got)
		}
	}
}

func TestNormalizeDispatchesOnChannel(t *testing.T) {
	if got, err := Normalize(WhatsApp, "+55 (11) 99999-0000"); err != nil || got != "+5511999990000" {
		t.Errorf("Normalize(whatsapp) = %q, %v", got, err)
	}
	if got, err := Normalize(Email, "Dev@Example.com"); err != nil || got != "dev@example.com" {
		t.Errorf("Normalize(email) = %q, %v", got, err)
	}
	if _, err := Normalize(WhatsApp, "dev@example.com"); err == nil {
		t.Error("an e-mail address passes as a WhatsApp number")
	}
	if _, err := Normalize(Email, "+5511999990000"); err == nil {
		t.Error("a number passes as an e-mail address")
	}
}

func TestParseChannel(t *testing.T) {
	for _, in := range []Channel{WhatsApp, Email} {
		got, err := ParseChannel(string(in))
		if err != nil || got != in {
			t.Errorf("ParseChannel(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "sms", "WhatsApp", "EMAIL", "e-mail", " email"} {
		if _, err := ParseChannel(bad); err == nil || !strings.Contains(err.Error(), "whatsapp or email") {
			t.Errorf("ParseChannel(%q) = %v, want an error listing the channels", bad, err)
		}
	}
}

func TestGuess(t *testing.T) {
	tests := map[string]Channel{
		"dev@example.com":     Email,
		"@":                   Email,
		"+5511999990000":      WhatsApp,
		"+55 (11) 99999-0000": WhatsApp,
		"":                    WhatsApp,
	}
	for in, want := range tests {
		if got := Guess(in); got != want {
			t.Errorf("Guess(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskExamples(t *testing.T) {
	tests := []struct {
		ch         Channel
		dest, want string
	}{
		{Email, "dan@example.com", "d**@example.com"},
		{Email, "danielle.silva@example.com", "d*****@example.com"},
		{Email, "d@example.com", "***@example.com"},
		{Email, "élodie@example.fr", "é*****@example.fr"},
		{Email, "no-at-sign", "***"},
		{WhatsApp, "+5511999990000", "+55*******0000"},
		{WhatsApp, "+14155552671", "+14*****2671"},
		{WhatsApp, "+12345678", "+****5678"},
		{WhatsApp, "+1234567", "****4567"},
		{WhatsApp, "+123456", "****456"},
		{WhatsApp, "123", "***"},
		{WhatsApp, "", "***"},
	}
	for _, tt := range tests {
		if got := Mask(tt.ch, tt.dest); got != tt.want {
			t.Errorf("Mask(%s, %q) = %q, want %q", tt.ch, tt.dest, got, tt.want)
		}
	}
}

// TestMaskNeverRevealsTheFullDestination: a one-letter local part used to be
// shown ("d***@example.com") and a 7-character number came back whole.
func TestMaskNeverRevealsTheFullDestination(t *testing.T) {
	emails := []string{"d@example.com", "da@example.com", "dan@example.com", "é@example.com", "x@y.z"}
	for _, e := range emails {
		got := Mask(Email, e)
		local, domain, _ := strings.Cut(e, "@")
		maskedLocal, maskedDomain, _ := strings.Cut(got, "@")
		if maskedDomain != domain || !utf8.ValidString(got) {
			t.Errorf("Mask(email, %q) = %q, want the domain kept", e, got)
		}
		shown := strings.ReplaceAll(maskedLocal, "*", "")
		if n := utf8.RuneCountInString(local); shown == local || utf8.RuneCountInString(shown) > max(0, n-1) || !strings.HasPrefix(local, shown) {
			t.Errorf("Mask(email, %q) = %q reveals too much of %q", e, got, local)
		}
	}
	for n := 0; n <= 17; n++ {
		number := "+1234567890123456"[:n]
		got := Mask(WhatsApp, number)
		if got == "***" {
			continue // nothing shown at all
		}
		hidden := strings.Count(got, "*")
		if hidden < 4 || len(got) != len(number) {
			t.Errorf("Mask(whatsapp, %q) = %q, want at least 4 of the characters hidden", number, got)
		}
	}
}

func TestBrazilianNationalIsOfferedAsE164(t *testing.T) {
	for in, want := range map[string][2]string{
		"(11) 99999-0000": {"+5511999990000", "+55 11 99999-0000"},
		"011 99999-0000":  {"+5511999990000", "+55 11 99999-0000"},
		"21 3333-4444":    {"+552133334444", "+55 21 3333-4444"},
	} {
		e, d, ok := BrazilianNational(in)
		if !ok || e != want[0] || d != want[1] {
			t.Errorf("BrazilianNational(%q) = %q, %q, %v; want %q, %q", in, e, d, ok, want[0], want[1])
		}
		if _, err := NormalizeWhatsApp(in); err == nil {
			t.Errorf("NormalizeWhatsApp(%q) accepted a national number: E.164 stays the rule", in)
		}
	}
	for _, in := range []string{"+5511999990000", "99999-0000", "(00) 99999-0000", "1199999000000", "dev@example.com"} {
		if _, _, ok := BrazilianNational(in); ok {
			t.Errorf("BrazilianNational(%q) guessed a number", in)
		}
	}
}
