package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/openapitest"
	"github.com/zupy/zupy-cli/internal/wire"
)

// roundTrip decodes body strictly into a new T (the client's type: internal/api
// aliases the wire types) and encodes it again: the two must be the same JSON
// value. A field the emulator sends that T does not know fails the decode; a
// field of T the emulator does not send, or sends under another name, fails
// the comparison. And the answer must be the one docs/openapi.yaml gives the
// route and status (its schemas list every field, none extra), so a wrong tag
// on the shared type cannot hide either: the document, not a list kept here,
// says what the names are.
func roundTrip[T any](t *testing.T, what string, r resp, status int) T {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
	}
	var v T
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: decode %s into %T: %v", what, r.body, v, err)
	}
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var sent, decoded any
	if err := json.Unmarshal(r.body, &sent); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &decoded); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sent, decoded) {
		t.Fatalf("%s: %T does not round-trip:\n sent    %s\n decoded %s", what, v, bytes.TrimSpace(r.body), again)
	}
	if err := openapitest.CheckAnswer(r.method, r.target, r.status, r.header, r.body); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func TestEveryAnswerRoundTripsThroughTheClientTypes(t *testing.T) {
	h := newHarness(t)
	const dest = "dev@example.com"
	c := roundTrip[wire.OTPChallenge](t, "POST /auth/otp", h.request("POST", "/v1/auth/otp", "", wire.OTPRequest{Channel: "email", Destination: dest}), 202)
	box := roundTrip[wire.Outbox](t, "GET /_emulator/outbox", h.request("GET", "/_emulator/outbox", "", nil), 200)
	login := roundTrip[wire.Login](t, "POST /auth/otp/verify", h.verifyOTP(c.VerificationID, box.Messages[len(box.Messages)-1].Code), 200)
	sess := login.SessionToken
	h.secrets = append(h.secrets, sess)
	roundTrip[wire.Session](t, "GET /auth/session", h.request("GET", "/v1/auth/session", sess, nil), 200)

	limit := 50
	expires := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	created := roundTrip[wire.Key](t, "POST /api-keys", h.request("POST", "/v1/api-keys", sess, wire.CreateKeyRequest{
		Name: "every field", Description: "d", Permissions: []string{"loyalty:read", "keys:rotate"}, RateLimit: &limit,
		Environment: "staging", IPRestrictions: []string{"127.0.0.0/8"}, ExpiresAt: &expires}), 201)
	if created.APIKey == "" || created.RateLimit != limit || !created.ExpiresAt.Equal(expires) {
		t.Fatalf("create ignored a field of the client's request: %+v", created)
	}
	h.secrets = append(h.secrets, created.APIKey)
	roundTrip[wire.Verification](t, "GET /auth/verify", h.request("GET", "/v1/auth/verify", created.APIKey, nil), 200)
	roundTrip[wire.KeyList](t, "GET /api-keys", h.request("GET", "/v1/api-keys?status=all", sess, nil), 200)
	roundTrip[wire.KeyList](t, "GET /api-keys (pages)", h.request("GET", "/v1/api-keys?status=all&limit=1", sess, nil), 200)
	roundTrip[wire.KeyUsage](t, "GET /api-keys/{id}/usage", h.request("GET", "/v1/api-keys/"+created.KeyID+"/usage?since=5m&lineage=true", sess, nil), 200)
	roundTrip[wire.KeyUsage](t, "GET /api-keys/self/usage", h.request("GET", "/v1/api-keys/self/usage", created.APIKey, nil), 200)
	roundTrip[wire.UsageSummaryList](t, "GET /api-keys/usage", h.request("GET", "/v1/api-keys/usage", sess, nil), 200)
	used := roundTrip[wire.Key](t, "GET /api-keys/{id}", h.request("GET", "/v1/api-keys/"+created.KeyID, sess, nil), 200)
	if used.LastUsedAt == nil {
		t.Fatal("last_used_at not set after a verification")
	}

	name, desc, ips := "renamed", "new", []string{}
	later := expires.Add(24 * time.Hour)
	updated := roundTrip[wire.Key](t, "PATCH /api-keys/{id}", h.request("PATCH", "/v1/api-keys/"+created.KeyID, sess, wire.UpdateKeyRequest{
		Name: &name, Description: &desc, Permissions: []string{"loyalty:read", "keys:rotate", "customer:read"}, RateLimit: &limit,
		IPRestrictions: &ips, ExpiresAt: &later}), 200)
	if updated.Name != name || len(updated.IPRestrictions) != 0 || len(updated.Permissions) != 3 || !updated.ExpiresAt.Equal(later) {
		t.Fatalf("update ignored a field of the client's request: %+v", updated)
	}

	rotated := roundTrip[wire.Key](t, "POST /api-keys/{id}/rotate", h.request("POST", "/v1/api-keys/"+created.KeyID+"/rotate", sess,
		wire.RotateRequest{GracePeriodSeconds: 60, ExpiresAt: &expires}), 201)
	if rotated.PreviousKey == nil || rotated.RotatedFrom == nil || !rotated.ExpiresAt.Equal(expires) {
		t.Fatalf("rotate answer %+v", rotated)
	}
	h.secrets = append(h.secrets, rotated.APIKey)
	self := roundTrip[wire.Key](t, "POST /api-keys/self/rotate", h.request("POST", "/v1/api-keys/self/rotate", rotated.APIKey,
		map[string]any{"grace_period_seconds": 0}), 201)
	h.secrets = append(h.secrets, self.APIKey)
	again := roundTrip[wire.Key](t, "POST /api-keys/{id}/rotate (to undo)", h.request("POST", "/v1/api-keys/"+self.KeyID+"/rotate", sess,
		wire.RotateRequest{GracePeriodSeconds: 60}), 201)
	h.secrets = append(h.secrets, again.APIKey)
	undone := roundTrip[wire.Key](t, "POST /api-keys/{id}/rotation/undo", h.request("POST", "/v1/api-keys/"+again.KeyID+"/rotation/undo", sess, nil), 200)
	if undone.KeyID != self.KeyID || undone.RevokedSuccessor == nil || undone.RevokedSuccessor.KeyID != again.KeyID {
		t.Fatalf("undo answer %+v", undone)
	}
	third := roundTrip[wire.Key](t, "POST /api-keys/self/rotate (to undo)", h.request("POST", "/v1/api-keys/self/rotate", self.APIKey,
		map[string]any{"grace_period_seconds": 60}), 201)
	h.secrets = append(h.secrets, third.APIKey)
	roundTrip[wire.Key](t, "POST /api-keys/self/rotation/undo", h.request("POST", "/v1/api-keys/self/rotation/undo", third.APIKey, nil), 200)
	roundTrip[wire.Key](t, "DELETE /api-keys/{id}", h.request("DELETE", "/v1/api-keys/"+self.KeyID, sess, nil), 200)
	roundTrip[wire.ClockState](t, "POST /_emulator/clock", h.request("POST", "/_emulator/clock", "", wire.ClockRequest{AdvanceSeconds: 1}), 200)
	roundTrip[wire.ClockState](t, "GET /_emulator/clock", h.request("GET", "/_emulator/clock", "", nil), 200)

	errs := []struct {
		what   string
		r      resp
		status int
	}{
		{"400", h.request("POST", "/v1/api-keys", sess, map[string]any{"name": "x"}), http.StatusBadRequest},
		{"401", h.request("GET", "/v1/auth/verify", "", nil), http.StatusUnauthorized},
		{"403", h.request("GET", "/v1/auth/verify?permission=admin:read", created.APIKey, nil), http.StatusForbidden},
		{"404", h.request("GET", "/v1/api-keys/key_000000000000", sess, nil), http.StatusNotFound},
		{"405", h.request("PUT", "/v1/auth/verify", "", nil), http.StatusMethodNotAllowed},
		{"409", h.request("POST", "/v1/api-keys/"+created.KeyID+"/rotate", sess, nil), http.StatusConflict},
		{"409 undo", h.request("POST", "/v1/api-keys/"+again.KeyID+"/rotation/undo", sess, nil), http.StatusConflict},
	}
	for _, e := range errs {
		roundTrip[wire.ErrorBody](t, e.what, e.r, e.status)
	}
}
