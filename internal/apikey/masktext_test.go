package apikey

import (
	"strings"
	"testing"
)

func TestMaskSecretsMasksEverySecretInText(t *testing.T) {
	live := "zup_live_sk_" + strings.Repeat("Ab1", 7)
	test := "zup_test_sk_" + strings.Repeat("Zz9", 8)
	sess := SessionPrefix + strings.Repeat("q", 40)
	for _, tc := range []struct{ in, want string }{
		{"nothing here", "nothing here"},
		{"zup_ alone and zup_live_sk_ without a body", "zup_ alone and zup_live_sk_ without a body"},
		{`invalid --key-id "` + live + `": bad`, `invalid --key-id "` + Mask(live) + `": bad`},
		{"/tmp/" + test + "/f.env", "/tmp/" + Mask(test) + "/f.env"},
		{"A_" + sess + "," + live, "A_" + Mask(sess) + "," + Mask(live)},
		{live + live, Mask(live) + Mask(live)},
	} {
		got := MaskSecrets(tc.in)
		if got != tc.want {
			t.Errorf("MaskSecrets(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for _, secret := range []string{live, test, sess} {
			if strings.Contains(got, secret) {
				t.Errorf("MaskSecrets(%q) still holds %q", tc.in, secret)
			}
		}
	}
}
