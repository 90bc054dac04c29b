package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/emulator"
	"github.com/zupy/zupy-cli/internal/openapitest"
)

// The emulator sends the rate-limit headers spelled as Zupy's docs spell them
// (X-RateLimit-Limit, not Go's canonical X-Ratelimit-Limit); the client reads
// them through Header.Get, which canonicalises, so it must still find them.
// This runs the real client against the real emulator.
func TestClientReadsTheEmulatorsHeadersAndSpeaksItsRoutes(t *testing.T) {
	ctx := context.Background()
	c, login := loggedInClient(t)
	one := 1
	k, _, err := c.CreateKey(ctx, login.SessionToken, api.CreateKeyRequest{Name: "ci", Permissions: []string{"loyalty:read"}, RateLimit: &one})
	if err != nil {
		t.Fatal(err)
	}
	v, resp, err := c.Verify(ctx, k.APIKey, nil, true)
	if err != nil || !v.Authenticated {
		t.Fatalf("verify %+v %v", v, err)
	}
	rl := resp.RateLimit
	if !rl.Present || rl.Limit != 1 || rl.Remaining != 0 || rl.Window != 60 || rl.Reset.IsZero() {
		t.Fatalf("rate-limit headers as the client read them: %+v (sent %v)", rl, resp.Header)
	}
	_, resp, err = c.Verify(ctx, k.APIKey, nil, true)
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || resp.RateLimit.RetryAfter <= 0 || resp.RateLimit.Limit != 1 {
		t.Fatalf("429 as the client read it: %v %+v", err, resp.RateLimit)
	}
	if apiErr.Details["documentation_url"] != "https://docs.zupy.com/authentication" {
		t.Fatalf("details %v", apiErr.Details)
	}

	_, _, err = c.Verify(ctx, "zup_live_sk_"+"00000000000000000000", nil, true)
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Response.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("401 as the client read it: %v", err)
	}

	upd, _, err := c.UpdateKey(ctx, login.SessionToken, k.KeyID, api.UpdateKeyRequest{AddPermissions: []string{"customer:read"}})
	if err != nil || len(upd.Permissions) != 2 {
		t.Fatalf("add_permissions through the client: %+v %v", upd, err)
	}
	if _, err := c.ResetEmulator(ctx); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if _, _, err := c.GetKey(ctx, login.SessionToken, k.KeyID); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Fatalf("after reset the session still works: %v", err)
	}
}

// ListKeys walks every page of the real emulator's key list; ListKeysUpTo
// stops at the number asked for.
func TestListKeysWalksEveryPage(t *testing.T) {
	ctx := context.Background()
	c, login := loggedInClient(t)
	for range 5 {
		if _, _, err := c.CreateKey(ctx, login.SessionToken, api.CreateKeyRequest{Name: "k", Permissions: []string{"loyalty:read"}}); err != nil {
			t.Fatal(err)
		}
	}
	all, _, err := c.ListKeysUpTo(ctx, login.SessionToken, api.ListKeysQuery{Limit: 2}, 0)
	if err != nil || len(all) != 5 {
		t.Fatalf("walk of pages of 2: %d keys, %v", len(all), err)
	}
	seen := map[string]bool{}
	for _, k := range all {
		seen[k.KeyID] = true
	}
	if len(seen) != 5 {
		t.Fatalf("walk repeated keys: %v", seen)
	}
	some, _, err := c.ListKeysUpTo(ctx, login.SessionToken, api.ListKeysQuery{Limit: 2}, 3)
	if err != nil || len(some) != 3 || some[0].KeyID != all[0].KeyID {
		t.Fatalf("up to 3: %d keys, %v", len(some), err)
	}
	u, _, err := c.KeyUsage(ctx, login.SessionToken, all[0].KeyID, api.UsageQuery{Since: "1h"})
	if err != nil || u.KeyID != all[0].KeyID || len(u.Series) < 60 || len(u.Series) > 61 {
		t.Fatalf("usage of %s: %d minute buckets over an hour, %v", all[0].KeyID, len(u.Series), err)
	}
}

// UndoRotation and UndoSelfRotation against the real emulator: each undoes
// one rotation, answers the restored key with the revoked successor, and a
// second undo is a conflict the client reports with its kind.
func TestUndoRotationThroughTheClient(t *testing.T) {
	ctx := context.Background()
	c, login := loggedInClient(t)
	tok := login.SessionToken
	old, _, err := c.CreateKey(ctx, tok, api.CreateKeyRequest{Name: "ci", Permissions: []string{"keys:rotate"}})
	if err != nil {
		t.Fatal(err)
	}
	next, _, err := c.RotateKey(ctx, tok, old.KeyID, api.RotateRequest{GracePeriodSeconds: 600})
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := c.UndoRotation(ctx, tok, next.KeyID)
	if err != nil || back.KeyID != old.KeyID || back.RotatedTo != nil || !back.ExpiresAt.Equal(old.ExpiresAt) ||
		back.RevokedSuccessor == nil || back.RevokedSuccessor.KeyID != next.KeyID || back.RevokedSuccessor.Status != api.StatusRevoked {
		t.Fatalf("undo by session: %+v %v", back, err)
	}
	var apiErr *api.Error
	if _, _, err := c.UndoRotation(ctx, tok, next.KeyID); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict || apiErr.Code != api.CodeConflict {
		t.Fatalf("second undo: %v", err)
	}

	self, _, err := c.RotateSelf(ctx, old.APIKey, api.RotateRequest{GracePeriodSeconds: 600})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.UndoSelfRotation(ctx, old.APIKey); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Fatalf("undo with the predecessor's secret: %v", err)
	}
	back, _, err = c.UndoSelfRotation(ctx, self.APIKey)
	if err != nil || back.KeyID != old.KeyID || back.RevokedSuccessor == nil || back.RevokedSuccessor.KeyID != self.KeyID {
		t.Fatalf("undo by the successor: %+v %v", back, err)
	}
	if _, _, err := c.Verify(ctx, self.APIKey, nil, true); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Fatalf("the revoked successor still verifies: %v", err)
	}
}

// loggedInClient is a client of a fresh in-memory emulator and the session
// of its demo partner, logged in through the real OTP routes.
func loggedInClient(t *testing.T) (*api.Client, *api.Login) {
	t.Helper()
	ctx := context.Background()
	srv, err := emulator.Open(ctx, emulator.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	// Every exchange is validated against docs/openapi.yaml.
	ts := httptest.NewServer(openapitest.Middleware(srv.Handler(), func(msg string) { t.Errorf("%s", msg) }))
	t.Cleanup(ts.Close)
	c := api.New(api.Options{BaseURL: ts.URL + "/v1", UserAgent: "zupy/test"})
	ch, _, err := c.RequestOTP(ctx, api.OTPRequest{Channel: "email", Destination: emulator.DefaultPartnerEmail}, false)
	if err != nil {
		t.Fatal(err)
	}
	box, _, err := c.Outbox(ctx, emulator.DefaultPartnerEmail)
	if err != nil || len(box.Messages) != 1 {
		t.Fatalf("outbox %+v %v", box, err)
	}
	login, _, err := c.VerifyOTP(ctx, api.OTPVerifyRequest{VerificationID: ch.VerificationID, Code: box.Messages[0].Code})
	if err != nil {
		t.Fatal(err)
	}
	return c, login
}
