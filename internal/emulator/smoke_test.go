package emulator

import "testing"

func TestLoginCreateAndVerifyKey(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	r := h.request("GET", "/v1/auth/verify", k.APIKey, nil)
	expect(t, r, 200)
	t.Logf("%s %v", r.body, r.header)
}
