package apikey

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

const validLive = "zup_live_sk_1a2b3c4d5e6f7g8h9i0j" // zupy:allow

var keyPattern = regexp.MustCompile(`^zup_(live|test)_sk_[A-Za-z0-9]{20,64}$`)

func TestParseAcceptsLiveAndTestKeys(t *testing.T) {
	tests := []struct {
		in   string
		want Environment
	}{
		{validLive, Production},
		{"zup_test_sk_1a2b3c4d5e6f7g8h9i0j", Staging}, // zupy:allow
		{"zup_live_sk_" + strings.Repeat("A", 20), Production},
		{"zup_test_sk_" + strings.Repeat("z", 64), Staging},
		{"zup_live_sk_" + strings.Repeat("9", 42), Production},
	}
	for _, tt := range tests {
		k, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) = %v, want success", tt.in, err)
			continue
		}
		if k.Secret != tt.in || k.Environment != tt.want {
			t.Errorf("Parse(%q) = %+v, want secret unchanged and environment %s", tt.in, k, tt.want)
		}
	}
}

func TestParseTrimsSurroundingWhitespace(t *testing.T) {
	for _, in := range []string{" " + validLive, validLive + "\n", "\t " + validLive + " \r\n"} {
		k, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q) = %v, want success", in, err)
			continue
		}
		if k.Secret != validLive {
			t.Errorf("Parse(%q).Secret = %q, want trimmed %q", in, k.Secret, validLive)
		}
	}
}

func TestParseRejectsMalformedKeys(t *testing.T) {
	tests := map[string]string{
		"19 characters":          "zup_live_sk_" + strings.Repeat("a", 19),
		"65 characters":          "zup_live_sk_" + strings.Repeat("a", 65),
		"double quotes":          `"` + validLive + `"`,
		"single quotes":          "'" + validLive + "'",
		"quote inside":           "zup_live_sk_1a2b3c4d5e6f7g8h9i0j\"", // zupy:allow
		"inner space":            "zup_live_sk_1a2b3c4d5e 6f7g8h9i0j",
		"inner tab":              "zup_live_sk_1a2b3c4d5e\t6f7g8h9i0j",
		"bearer prefix":          "Bearer " + validLive,
		"prod prefix":            "zup_prod_sk_1a2b3c4d5e6f7g8h9i0j",
		"publishable prefix":     "zup_live_pk_1a2b3c4d5e6f7g8h9i0j",
		"upper-case prefix":      "ZUP_LIVE_SK_1a2b3c4d5e6f7g8h9i0j",
		"session token":          "zup_sess_" + strings.Repeat("a", 40),
		"non-ASCII letter":       "zup_live_sk_1a2b3c4d5e6f7g8h9i0é",
		"non-ASCII digit":        "zup_live_sk_1a2b3c4d5e6f7g8h9i0٣",
		"underscore in id":       "zup_live_sk_1a2b3c4d5e6f7g8h_i0j",
		"dash in id":             "zup_live_sk_1a2b3c4d5e6f7g8h-i0j",
		"empty":                  "",
		"only whitespace":        "   ",
		"prefix only":            "zup_live_sk_",
		"NUL byte":               "zup_live_sk_1a2b3c4d5e6f7g8h9i0j\x00", // zupy:allow
		"invalid UTF-8":          "zup_live_sk_1a2b3c4d5e6f7g8h9i0\xff",
		"missing sk":             "zup_live_1a2b3c4d5e6f7g8h9i0jabcd",
		"key twice":              validLive + " " + validLive,
		"leading garbage no gap": "xzup_live_sk_1a2b3c4d5e6f7g8h9i0j",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			k, err := Parse(in)
			if !errors.Is(err, ErrInvalidFormat) {
				t.Fatalf("Parse(%q) = %+v, %v; want ErrInvalidFormat", in, k, err)
			}
			if k != (Key{}) {
				t.Errorf("Parse(%q) returned a non-zero key %+v with its error", in, k)
			}
		})
	}
}

func TestParseRejectsQuotedKey(t *testing.T) {
	if _, err := Parse(`"` + validLive + `"`); !errors.Is(err, ErrInvalidFormat) {
		t.Fatalf("Parse of a quoted key = %v, want ErrInvalidFormat", err)
	}
}

func TestErrInvalidFormatIsTheDocumentedMessageWithoutInput(t *testing.T) {
	if got := ErrInvalidFormat.Error(); got != "Invalid API key format" {
		t.Fatalf("ErrInvalidFormat = %q, want %q", got, "Invalid API key format")
	}
	secret := "zup_live_sk_SECRETsecretSECRET1234 x" // zupy:allow
	_, err := Parse(secret)
	if err == nil {
		t.Fatal("Parse accepted a key with an inner space")
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %q echoes the input", err)
	}
	_, err = ParseAuthorization("Bearer  " + secret)
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("ParseAuthorization error %v is nil or echoes the input", err)
	}
}

func TestParseAuthorizationAcceptsExactlyBearerSpaceKey(t *testing.T) {
	k, err := ParseAuthorization("Bearer " + validLive)
	if err != nil {
		t.Fatalf("ParseAuthorization = %v, want success", err)
	}
	if k.Secret != validLive || k.Environment != Production {
		t.Errorf("ParseAuthorization = %+v", k)
	}
}

func TestParseAuthorizationRejectsAnythingElse(t *testing.T) {
	tests := map[string]string{
		"two spaces":         "Bearer  " + validLive,
		"tab":                "Bearer\t" + validLive,
		"missing Bearer":     validLive,
		"lower-case bearer":  "bearer " + validLive,
		"upper-case BEARER":  "BEARER " + validLive,
		"quoted key":         `Bearer "` + validLive + `"`,
		"trailing space":     "Bearer " + validLive + " ",
		"trailing newline":   "Bearer " + validLive + "\n",
		"leading space":      " Bearer " + validLive,
		"Basic scheme":       "Basic " + validLive,
		"Bearer only":        "Bearer ",
		"empty":              "",
		"malformed key":      "Bearer zup_live_sk_short",
		"Token scheme":       "Token " + validLive,
		"no space after tag": "Bearer" + validLive,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseAuthorization(in); !errors.Is(err, ErrInvalidFormat) {
				t.Errorf("ParseAuthorization(%q) = %v, want ErrInvalidFormat", in, err)
			}
		})
	}
}

func TestParseEnvironment(t *testing.T) {
	for _, env := range []Environment{Production, Staging} {
		got, err := ParseEnvironment(string(env))
		if err != nil || got != env {
			t.Errorf("ParseEnvironment(%q) = %q, %v", env, got, err)
		}
	}
	for _, bad := range []string{"", "live", "test", "Production", "prod", " production"} {
		if _, err := ParseEnvironment(bad); err == nil {
			t.Errorf("ParseEnvironment(%q) succeeded, want error", bad)
		}
	}
	if len(Environments) != 2 || Environments[0] != Production || Environments[1] != Staging {
		t.Errorf("Environments = %v, want [production staging]", Environments)
	}
}

func TestEnvironmentPrefixAndBaseURL(t *testing.T) {
	if p := Production.Prefix(); p != "zup_live_sk_" {
		t.Errorf("Production.Prefix() = %q", p)
	}
	if p := Staging.Prefix(); p != "zup_test_sk_" {
		t.Errorf("Staging.Prefix() = %q", p)
	}
	if u := Production.BaseURL(); u != "https://api.zupy.com/v1" {
		t.Errorf("Production.BaseURL() = %q", u)
	}
	if u := Staging.BaseURL(); u != "https://api-staging.zupy.com/v1" {
		t.Errorf("Staging.BaseURL() = %q", u)
	}
}

func TestGenerateHasPrefixAnd20Base62CharsAndParses(t *testing.T) {
	for _, env := range Environments {
		key, err := Generate(env)
		if err != nil {
			t.Fatal(err)
		}
		id, ok := strings.CutPrefix(key, env.Prefix())
		if !ok {
			t.Fatalf("Generate(%s) = %q, want prefix %q", env, key, env.Prefix())
		}
		if len(id) != IdentifierLength || IdentifierLength != 20 || !isBase62(id) {
			t.Errorf("Generate(%s) identifier %q is not 20 base62 characters", env, id)
		}
		k, err := Parse(key)
		if err != nil {
			t.Fatalf("Parse(Generate(%s)) = %v", env, err)
		}
		if k.Environment != env {
			t.Errorf("Parse(Generate(%s)).Environment = %s", env, k.Environment)
		}
	}
}

func TestGenerateIsUniqueOverManyDraws(t *testing.T) {
	const draws = 20000
	seen := make(map[string]bool, draws)
	for range draws {
		key, err := Generate(Production)
		if err != nil {
			t.Fatal(err)
		}
		if seen[key] {
			t.Fatalf("Generate returned %q twice in %d draws", key, draws)
		}
		seen[key] = true
	}
}

// chiSquare is Pearson's statistic of counts against a uniform distribution.
func chiSquare(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	expected := float64(total) / float64(len(counts))
	var x float64
	for _, c := range counts {
		d := float64(c) - expected
		x += d * d / expected
	}
	return x
}

// chiSquareLimit is far in the tail of the chi-square distribution with 61
// degrees of freedom (mean 61, standard deviation 11): a fair generator
// exceeds it with probability below 1e-9, while a plain "byte % 62" generator
// scores about 1300 over 200 000 characters.
const chiSquareLimit = 150

func TestGenerateHasNoModuloBias(t *testing.T) {
	const keys = 10000 // 200 000 characters
	counts := make([]int, len(base62))
	for range keys {
		key, err := Generate(Staging)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []byte(strings.TrimPrefix(key, Staging.Prefix())) {
			counts[strings.IndexByte(base62, c)]++
		}
	}
	for i, c := range counts {
		if c == 0 {
			t.Errorf("character %q never drawn in %d keys", base62[i], keys)
		}
	}
	if x := chiSquare(counts); x > chiSquareLimit {
		t.Errorf("chi-square over %d characters = %.1f, want <= %d (61 degrees of freedom)", keys*IdentifierLength, x, chiSquareLimit)
	}
}

// TestChiSquareDetectsModuloBias shows that the uniformity test above has the
// power to fail: the same statistic on "random byte % 62" exceeds the limit.
func TestChiSquareDetectsModuloBias(t *testing.T) {
	raw := make([]byte, 200000)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	counts := make([]int, len(base62))
	for i := 0; i < len(raw); i++ {
		counts[int(raw[i])%len(base62)]++
	}
	if x := chiSquare(counts); x <= chiSquareLimit {
		t.Errorf("chi-square of a modulo-biased generator = %.1f, want > %d", x, chiSquareLimit)
	}
}

// makeAlphabet returns the n byte values 0..n-1 as an alphabet.
func makeAlphabet(n int) []byte {
	a := make([]byte, n)
	for i := range a {
		a[i] = byte(i)
	}
	return a
}

// fixedReader yields its bytes and then io.EOF.
func fixedReader(b ...byte) io.Reader { return bytes.NewReader(b) }

func TestRandomStringRejectsBytesFrom248ForBase62(t *testing.T) {
	if got := rejectionLimit(len(base62)); got != 248 {
		t.Fatalf("rejectionLimit(62) = %d, want 248", got)
	}
	// One character is drawn from a buffer of two equal bytes: an accepted
	// byte yields its character, a rejected one leaves nothing and the next
	// read hits EOF.
	for v := 0; v < 256; v++ {
		b := byte(v)
		got, err := randomStringFrom(fixedReader(b, b), base62, 1)
		if v >= 248 {
			if err == nil {
				t.Errorf("byte %d was accepted as %q, want it rejected", v, got)
			}
			continue
		}
		if err != nil || got != string(base62[v%62]) {
			t.Errorf("byte %d gave %q, %v; want %q", v, got, err, base62[v%62])
		}
	}
}

func TestRandomStringRejectsBytesFrom252ForBase36(t *testing.T) {
	if got := rejectionLimit(len(base36)); got != 252 {
		t.Fatalf("rejectionLimit(36) = %d, want 252", got)
	}
	for v := 248; v < 256; v++ {
		b := byte(v)
		_, err := randomStringFrom(fixedReader(b, b), base36, 1)
		if accepted := err == nil; accepted != (v < 252) {
			t.Errorf("byte %d accepted = %v, want %v", v, accepted, v < 252)
		}
	}
}

func TestRandomStringSkipsRejectedBytesAndKeepsOrder(t *testing.T) {
	got, err := randomStringFrom(fixedReader(248, 0, 255, 61, 247, 62), base62, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := "0zz"; got != want {
		t.Errorf("randomStringFrom = %q, want %q", got, want)
	}
}

func TestRandomStringWithAlphabetDividing256RejectsNothing(t *testing.T) {
	// A limit kept in a byte used to overflow to 0 for a 64-letter alphabet,
	// rejecting every byte forever.
	if got := rejectionLimit(64); got != 256 {
		t.Fatalf("rejectionLimit(64) = %d, want 256", got)
	}
	alphabet := string(makeAlphabet(64))
	got, err := randomStringFrom(fixedReader(0, 63, 64, 255), alphabet, 2)
	if err != nil {
		t.Fatalf("randomStringFrom = %v", err)
	}
	if got != "\x00\x3f" {
		t.Errorf("randomStringFrom = %q, want the first two bytes", got)
	}
}

func TestRandomStringReportsReadErrors(t *testing.T) {
	boom := errors.New("boom")
	_, err := randomStringFrom(io.MultiReader(fixedReader(), errReader{boom}), base62, 4)
	if !errors.Is(err, boom) {
		t.Errorf("randomStringFrom = %v, want an error wrapping %v", err, boom)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestGenerateIDHasKeyPrefixAnd12LowercaseBase36(t *testing.T) {
	idPattern := regexp.MustCompile(`^key_[0-9a-z]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id, err := GenerateID()
		if err != nil {
			t.Fatal(err)
		}
		if !idPattern.MatchString(id) {
			t.Fatalf("GenerateID() = %q, want key_ and 12 lowercase base36", id)
		}
		if !ValidID(id) {
			t.Fatalf("ValidID(GenerateID()) = false for %q", id)
		}
		if seen[id] {
			t.Fatalf("GenerateID returned %q twice", id)
		}
		seen[id] = true
	}
}

func TestValidIDRejectsOtherShapes(t *testing.T) {
	for _, bad := range []string{
		"", "key_", "key_abc", "key_0123456789ab0", "key_0123456789a",
		"key_0123456789AB", "KEY_0123456789ab", "key-0123456789ab",
		" key_0123456789ab", "key_0123456789a_", "key_0123456789aé",
		"kez_0123456789ab",
	} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true, want false", bad)
		}
	}
	if !ValidID("key_0123456789az") {
		t.Error("ValidID(key_0123456789az) = false, want true")
	}
}

func TestGenerateSessionTokenIsRecognised(t *testing.T) {
	tok, err := GenerateSessionToken()
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := strings.CutPrefix(tok, "zup_sess_")
	if !ok || len(rest) != 40 || !isBase62(rest) {
		t.Fatalf("GenerateSessionToken() = %q, want zup_sess_ and 40 base62", tok)
	}
	if !IsSessionToken(tok) {
		t.Errorf("IsSessionToken(%q) = false", tok)
	}
	other, err := GenerateSessionToken()
	if err != nil {
		t.Fatal(err)
	}
	if other == tok {
		t.Error("two session tokens are equal")
	}
	if _, err := Parse(tok); err == nil {
		t.Error("a session token parses as an API key")
	}
}

func TestIsSessionTokenRejectsOtherShapes(t *testing.T) {
	good := "zup_sess_" + strings.Repeat("aB3", 13) + "x"
	if !IsSessionToken(good) {
		t.Fatalf("IsSessionToken(%q) = false", good)
	}
	for _, bad := range []string{
		"", "zup_sess_", good[:len(good)-1], good + "x", " " + good,
		"zup_sess_" + strings.Repeat("a", 39) + "_", "zup_sess_" + strings.Repeat("a", 39) + "é",
		validLive, "Zup_sess_" + strings.Repeat("a", 40),
	} {
		if IsSessionToken(bad) {
			t.Errorf("IsSessionToken(%q) = true, want false", bad)
		}
	}
}

func TestMaskShowsPrefixEllipsisAndLastFour(t *testing.T) {
	tests := map[string]string{
		validLive:                          "zup_live_sk_…9i0j",
		"zup_test_sk_1a2b3c4d5e6f7g8h9i0j": "zup_test_sk_…9i0j", // zupy:allow
		"zup_sess_" + strings.Repeat("a", 36) + "WXYZ":    "zup_sess_…WXYZ",
		"zup_live_sk_" + strings.Repeat("q", 60) + "LAST": "zup_live_sk_…LAST",
	}
	for in, want := range tests {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskNeverRevealsShortSecrets(t *testing.T) {
	tests := map[string]string{
		"":               "…",
		"a":              "…",
		"abcdefg":        "…",
		"zup_live_sk_":   "zup_live_sk_…",
		"zup_live_sk_ab": "zup_live_sk_…",
		"zup_sess_abcd":  "zup_sess_…",
		"_":              "…",
		"abc_":           "…",
		"abcdefgh":       "…efgh",
	}
	for in, want := range tests {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMaskNeverRevealsMoreThanFourSecretCharacters covers malformed secrets:
// whatever precedes an underscore used to be shown as if it were a prefix, so
// "my_secret_password_x" was masked as "my_secret_password_…".
func TestMaskNeverRevealsMoreThanFourSecretCharacters(t *testing.T) {
	inputs := []string{
		"my_secret_password_x",
		"hunter2_",
		"zup_live_sk_abc_defghijklmnopqrstu",
		"sk_live_51Habcdefghijklmnop",
		"zup_prod_sk_1a2b3c4d5e6f7g8h9i0j",
		"ab_cdefghijklmnopqrstuvwxyz",
		"éééééééééé",
		"zup_live_sk_ééééééééé",
		"zup_live_sk_abcdefg",
		"zup_live_sk_abcdefgh",
	}
	for _, in := range inputs {
		got := Mask(in)
		if got == in {
			t.Errorf("Mask(%q) returned the secret unchanged", in)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Mask(%q) = %q is not valid UTF-8", in, got)
		}
		shown := got
		for _, p := range []string{"zup_live_sk_", "zup_test_sk_", "zup_sess_"} {
			if strings.HasPrefix(in, p) {
				shown = strings.TrimPrefix(shown, p)
				break
			}
		}
		shown = strings.Replace(shown, "…", "", 1)
		if n := utf8.RuneCountInString(shown); n > 4 {
			t.Errorf("Mask(%q) = %q reveals %d characters of the secret, want at most 4", in, got, n)
		}
		if !strings.HasSuffix(in, shown) {
			t.Errorf("Mask(%q) = %q shows characters other than the secret's last ones", in, got)
		}
	}
}

func TestHashIsDeterministicHexSHA256(t *testing.T) {
	secret := []byte("server secret")
	a := Hash(secret, validLive)
	if b := Hash(secret, validLive); a != b {
		t.Errorf("Hash is not deterministic: %q vs %q", a, b)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(a) {
		t.Errorf("Hash = %q, want 64 lowercase hex characters", a)
	}
	if strings.Contains(a, validLive) {
		t.Error("Hash contains its input")
	}
	// Known answer (RFC 4231 test case 2) pins HMAC-SHA256 itself.
	if got, want := Hash([]byte("Jefe"), "what do ya want for nothing?"),
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
		t.Errorf("Hash(Jefe, …) = %s, want %s", got, want)
	}
}

func TestHashDiffersPerValueAndPerSecret(t *testing.T) {
	secret := []byte("server secret")
	if Hash(secret, validLive) == Hash(secret, "zup_test_sk_1a2b3c4d5e6f7g8h9i0j") { // zupy:allow
		t.Error("two keys hash alike")
	}
	if Hash(secret, validLive) == Hash([]byte("other secret"), validLive) {
		t.Error("the HMAC secret does not change the hash")
	}
}
