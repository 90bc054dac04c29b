package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/zupy/zupy-cli/internal/wire"
)

// Every route has one method, in one shape, as go-github's: the decoded
// answer, the Response (its status, headers and the server's Date) whenever
// the server answered, also with an error, and the error. A route that
// answers nothing returns the Response and the error.

// RequestOTP asks for a one-time code (POST /auth/otp, no credential). The
// Response's Date places the code's deadlines on the local clock. noRetry
// returns a refusal (a 429 of the resend cooldown) at once instead of
// waiting it out.
func (c *Client) RequestOTP(ctx context.Context, req OTPRequest, noRetry bool) (*OTPChallenge, *Response, error) {
	var out OTPChallenge
	resp, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/auth/otp", Body: req, NoRetry: noRetry}, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// VerifyOTP exchanges a code for a session (POST /auth/otp/verify). The
// Response's Date says how long the session lasts on the server's clock.
func (c *Client) VerifyOTP(ctx context.Context, req OTPVerifyRequest) (*Login, *Response, error) {
	var out Login
	resp, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/auth/otp/verify", Body: req}, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// Session describes the session of token (GET /auth/session). The
// Response's Date counts the time left on the server's clock.
func (c *Client) Session(ctx context.Context, token string) (*Session, *Response, error) {
	var out Session
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/auth/session", Token: token}, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// DeleteSession revokes the session of token (DELETE /auth/session).
func (c *Client) DeleteSession(ctx context.Context, token string) (*Response, error) {
	return c.Do(ctx, Request{Method: http.MethodDelete, Path: "/auth/session", Token: token}, nil)
}

// CreateKey creates an API key (POST /api-keys); the answer carries the
// secret in APIKey.
func (c *Client) CreateKey(ctx context.Context, token string, req CreateKeyRequest) (*Key, *Response, error) {
	return c.key(ctx, Request{Method: http.MethodPost, Path: "/api-keys", Token: token, Body: req})
}

// ListKeys lists every one of the partner's keys (GET /api-keys), walking
// the pages; an empty environment or status is left to the server's
// default. The Response is the first page's: its Date shows times relative
// to the server's clock.
func (c *Client) ListKeys(ctx context.Context, token, environment, status string) ([]Key, *Response, error) {
	return c.ListKeysUpTo(ctx, token, ListKeysQuery{Environment: environment, Status: status, Limit: wire.MaxPageLimit}, 0)
}

// ListKeysQuery asks for one page of GET /api-keys. Zero values are left
// to the server's defaults (the first page, 100 keys, active ones).
type ListKeysQuery struct {
	Environment string
	Status      string
	Limit       int
	Cursor      string
}

func (q ListKeysQuery) values() url.Values {
	v := url.Values{}
	if q.Environment != "" {
		v.Set("environment", q.Environment)
	}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	return v
}

// ListKeysPage fetches one page of keys, newest first, with its
// next_cursor (nil on the last page) and the answer's metadata.
func (c *Client) ListKeysPage(ctx context.Context, token string, q ListKeysQuery) (*KeyList, *Response, error) {
	var out KeyList
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/api-keys", Query: q.values(), Token: token}, &out)
	if err != nil {
		return nil, resp, err
	}
	if out.Data == nil {
		out.Data = []Key{}
	}
	return &out, resp, nil
}

// ListKeysUpTo walks the pages of q from its cursor until max keys (0: all
// of them) and returns them with the first page's metadata. The server's
// cursor keeps the walk to the keys that existed when it began, each once.
func (c *Client) ListKeysUpTo(ctx context.Context, token string, q ListKeysQuery, max int) ([]Key, *Response, error) {
	var keys []Key
	var first *Response
	for {
		if max > 0 && (q.Limit == 0 || q.Limit > max-len(keys)) {
			q.Limit = max - len(keys)
		}
		page, resp, err := c.ListKeysPage(ctx, token, q)
		if first == nil {
			first = resp
		}
		if err != nil {
			return nil, first, err
		}
		keys = append(keys, page.Data...)
		if page.NextCursor == nil || *page.NextCursor == "" || max > 0 && len(keys) >= max || len(page.Data) == 0 {
			if keys == nil {
				keys = []Key{}
			}
			return keys, first, nil
		}
		q.Cursor = *page.NextCursor
	}
}

// UsageQuery asks for a key's usage (GET /api-keys/{key_id}/usage and
// /api-keys/self/usage): since and until are RFC 3339 times or durations
// before now ("24h", "7d"); empty ones, and Bucket "", are left to the
// server.
type UsageQuery struct {
	Since   string
	Until   string
	Bucket  string
	Lineage bool
}

func (q UsageQuery) values() url.Values {
	v := url.Values{}
	for name, val := range map[string]string{"since": q.Since, "until": q.Until, "bucket": q.Bucket} {
		if val != "" {
			v.Set(name, val)
		}
	}
	if q.Lineage {
		v.Set("lineage", "true")
	}
	return v
}

// KeyUsage fetches a key's usage with the session (GET
// /api-keys/{key_id}/usage), with the answer's metadata.
func (c *Client) KeyUsage(ctx context.Context, token, keyID string, q UsageQuery) (*KeyUsage, *Response, error) {
	var out KeyUsage
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: keyPath(keyID) + "/usage", Query: q.values(), Token: token}, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// SelfUsage fetches apiKey's own usage with apiKey itself, which must hold
// keys:rotate (GET /api-keys/self/usage), with the answer's metadata.
func (c *Client) SelfUsage(ctx context.Context, apiKey string, q UsageQuery) (*KeyUsage, *Response, error) {
	var out KeyUsage
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/api-keys/self/usage", Query: q.values(), Token: apiKey}, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// UsageSummary fetches one page of per-key usage summaries (GET
// /api-keys/usage); since as in UsageQuery, limit 0 and cursor "" left to
// the server.
func (c *Client) UsageSummary(ctx context.Context, token, since string, limit int, cursor string) (*UsageSummaryList, *Response, error) {
	q := url.Values{}
	if since != "" {
		q.Set("since", since)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var out UsageSummaryList
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/api-keys/usage", Query: q, Token: token}, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// GetKey fetches one key (GET /api-keys/{key_id}).
func (c *Client) GetKey(ctx context.Context, token, keyID string) (*Key, *Response, error) {
	return c.key(ctx, Request{Method: http.MethodGet, Path: keyPath(keyID), Token: token})
}

// UpdateKey changes the fields set in req (PATCH /api-keys/{key_id}).
func (c *Client) UpdateKey(ctx context.Context, token, keyID string, req UpdateKeyRequest) (*Key, *Response, error) {
	return c.key(ctx, Request{Method: http.MethodPatch, Path: keyPath(keyID), Token: token, Body: req})
}

// RevokeKey revokes a key (DELETE /api-keys/{key_id}) and returns it.
func (c *Client) RevokeKey(ctx context.Context, token, keyID string) (*Key, *Response, error) {
	return c.key(ctx, Request{Method: http.MethodDelete, Path: keyPath(keyID), Token: token})
}

// RotateKey creates the successor of a key (POST
// /api-keys/{key_id}/rotate).
func (c *Client) RotateKey(ctx context.Context, token, keyID string, req RotateRequest) (*Key, *Response, error) {
	return c.key(ctx, Request{Method: http.MethodPost, Path: keyPath(keyID) + "/rotate", Token: token, Body: req})
}

// RotateSelf rotates apiKey using apiKey itself, which must hold
// keys:rotate (POST /api-keys/self/rotate).
func (c *Client) RotateSelf(ctx context.Context, apiKey string, req RotateRequest) (*Key, *Response, error) {
	return c.key(ctx, Request{Method: http.MethodPost, Path: "/api-keys/self/rotate", Token: apiKey, Body: req})
}

// UndoRotation undoes the rotation that made successorID (POST
// /api-keys/{key_id}/rotation/undo): the successor revoked, its predecessor
// restored. It returns the predecessor, with RevokedSuccessor set.
func (c *Client) UndoRotation(ctx context.Context, token, successorID string) (*Key, *Response, error) {
	return c.key(ctx, Request{Method: http.MethodPost, Path: keyPath(successorID) + "/rotation/undo", Token: token, Body: struct{}{}})
}

// UndoSelfRotation undoes the rotation that made apiKey, using apiKey
// itself, which must hold keys:rotate (POST /api-keys/self/rotation/undo);
// the predecessor's secret cannot do it. It returns the predecessor, with
// RevokedSuccessor set.
func (c *Client) UndoSelfRotation(ctx context.Context, apiKey string) (*Key, *Response, error) {
	return c.key(ctx, Request{Method: http.MethodPost, Path: "/api-keys/self/rotation/undo", Token: apiKey, Body: struct{}{}})
}

// Verify checks apiKey and, with permissions, that it holds each of them
// (GET /auth/verify?permission=…). The Response carries the rate-limit
// headers. noRetry turns off every retry, so a 429 comes back at once.
func (c *Client) Verify(ctx context.Context, apiKey string, permissions []string, noRetry bool) (*Verification, *Response, error) {
	var q url.Values
	if len(permissions) > 0 {
		q = url.Values{"permission": permissions}
	}
	var out Verification
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/auth/verify", Query: q, Token: apiKey, NoRetry: noRetry}, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// Outbox lists the messages the emulator "sent", oldest first, to
// destination when it is not empty (GET {origin}/_emulator/outbox).
func (c *Client) Outbox(ctx context.Context, destination string) (*Outbox, *Response, error) {
	var q url.Values
	if destination != "" {
		q = url.Values{"destination": {destination}}
	}
	var out Outbox
	resp, err := c.do(ctx, c.Origin(), Request{Method: http.MethodGet, Path: "/_emulator/outbox", Query: q}, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// EmulatorClock reads the emulator's clock (GET {origin}/_emulator/clock).
func (c *Client) EmulatorClock(ctx context.Context) (time.Time, *Response, error) {
	var out struct {
		Now time.Time `json:"now"`
	}
	resp, err := c.do(ctx, c.Origin(), Request{Method: http.MethodGet, Path: "/_emulator/clock"}, &out)
	if err != nil {
		return time.Time{}, resp, err
	}
	return out.Now, resp, nil
}

// AdvanceClock moves the emulator's clock forward and returns its new time
// (POST {origin}/_emulator/clock).
func (c *Client) AdvanceClock(ctx context.Context, seconds int64) (time.Time, *Response, error) {
	var out struct {
		Now time.Time `json:"now"`
	}
	body := struct {
		AdvanceSeconds int64 `json:"advance_seconds"`
	}{seconds}
	resp, err := c.do(ctx, c.Origin(), Request{Method: http.MethodPost, Path: "/_emulator/clock", Body: body}, &out)
	if err != nil {
		return time.Time{}, resp, err
	}
	return out.Now, resp, nil
}

// ResetEmulator empties the emulator's data, keeping the demo partner
// (POST {origin}/_emulator/reset).
func (c *Client) ResetEmulator(ctx context.Context) (*Response, error) {
	// An empty JSON body: the emulator refuses a POST that is not JSON.
	return c.do(ctx, c.Origin(), Request{Method: http.MethodPost, Path: "/_emulator/reset", Body: struct{}{}}, nil)
}

func (c *Client) key(ctx context.Context, r Request) (*Key, *Response, error) {
	var out Key
	resp, err := c.Do(ctx, r, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

func keyPath(keyID string) string { return "/api-keys/" + url.PathEscape(keyID) }
