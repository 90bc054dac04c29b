// Package wire holds the JSON types of the Zupy authentication API v1
// (docs/api.md) and the error codes and messages its answers carry. The
// client (internal/api) decodes them and the emulator encodes them, so both
// speak the same field names; neither depends on the other.
package wire

import "time"

// OTPRequest is the body of POST /auth/otp.
type OTPRequest struct {
	Channel     string `json:"channel"`
	Destination string `json:"destination"`
}

// OTPChallenge is the 202 answer to POST /auth/otp.
type OTPChallenge struct {
	VerificationID  string    `json:"verification_id"`
	Channel         string    `json:"channel"`
	DestinationHint string    `json:"destination_hint"`
	ExpiresAt       time.Time `json:"expires_at"`
	ResendAfter     time.Time `json:"resend_after"`
}

// OTPVerifyRequest is the body of POST /auth/otp/verify.
type OTPVerifyRequest struct {
	VerificationID string `json:"verification_id"`
	Code           string `json:"code"`
}

// Partner is the partner account a session belongs to.
type Partner struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	WhatsApp string `json:"whatsapp"`
}

// Login is the 200 answer to POST /auth/otp/verify.
type Login struct {
	SessionToken string    `json:"session_token"`
	ExpiresAt    time.Time `json:"expires_at"`
	Partner      Partner   `json:"partner"`
}

// Session is the answer to GET /auth/session.
type Session struct {
	Partner   Partner   `json:"partner"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Key is the key object. APIKey is set only in the 201 answers of create and
// rotate, PreviousKey only in the answers of rotate, and RevokedSuccessor
// only in the answers of a rotation's undo.
type Key struct {
	KeyID          string       `json:"key_id"`
	Name           string       `json:"name"`
	Description    string       `json:"description"`
	Permissions    []string     `json:"permissions"`
	RateLimit      int          `json:"rate_limit"`
	Environment    string       `json:"environment"`
	IPRestrictions []string     `json:"ip_restrictions"`
	CreatedAt      time.Time    `json:"created_at"`
	ExpiresAt      time.Time    `json:"expires_at"`
	LastUsedAt     *time.Time   `json:"last_used_at"`
	UsageCount     int64        `json:"usage_count"`
	Status         string       `json:"status"`
	RevokedAt      *time.Time   `json:"revoked_at"`
	RotatedFrom    *string      `json:"rotated_from"`
	RotatedTo      *string      `json:"rotated_to"`
	KeyHint        string       `json:"key_hint"`
	LastRotation   *Rotation    `json:"last_rotation"`
	APIKey         string       `json:"api_key,omitempty"`
	PreviousKey    *PreviousKey `json:"previous_key,omitempty"`
	// RevokedSuccessor is the successor an undo revoked
	// (POST /api-keys/{key_id}/rotation/undo answers the restored key).
	RevokedSuccessor *RevokedSuccessor `json:"revoked_successor,omitempty"`
}

// Rotation says who performed a key's last rotation (the one that replaced
// it, else the one that created it), from the audit events, so that a
// rotation made by a leaked key stands out from one made by a person.
type Rotation struct {
	At time.Time `json:"at"`
	// By is RotatedBySession (rotated by id, with a login session) or
	// RotatedByKey (POST /api-keys/self/rotate, authenticated by KeyID).
	By    string `json:"by"`
	KeyID string `json:"key_id,omitempty"`
}

// Values of Rotation.By.
const (
	RotatedBySession = "session"
	RotatedByKey     = "key"
)

// Key statuses.
const (
	StatusActive  = "active"
	StatusExpired = "expired"
	StatusRevoked = "revoked"
)

// PreviousKey is the rotated key's state in a rotate answer.
type PreviousKey struct {
	KeyID     string    `json:"key_id"`
	ExpiresAt time.Time `json:"expires_at"`
	Status    string    `json:"status"`
}

// RevokedSuccessor is the revoked successor in the answer of a rotation's
// undo, as PreviousKey is the rotated key in a rotate answer.
type RevokedSuccessor struct {
	KeyID     string    `json:"key_id"`
	RevokedAt time.Time `json:"revoked_at"`
	Status    string    `json:"status"`
}

// KeyList is the answer to GET /api-keys: a page of keys, newest first.
// NextCursor, given as ?cursor=, asks for the next page; nil on the last.
type KeyList struct {
	Data       []Key   `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// Page sizes of the paginated lists (GET /api-keys, GET /api-keys/usage).
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// Usage buckets (?bucket= of the usage routes).
const (
	BucketMinute = "minute"
	BucketHour   = "hour"
	BucketDay    = "day"
)

// UsageCounts are requests by answer class: ok 2xx, unauthorized 401,
// forbidden 403, rate_limited 429 (a 400 or 404 counts in requests only).
type UsageCounts struct {
	Requests     int64 `json:"requests"`
	OK           int64 `json:"ok"`
	Unauthorized int64 `json:"unauthorized"`
	Forbidden    int64 `json:"forbidden"`
	RateLimited  int64 `json:"rate_limited"`
}

// UsagePoint is one bucket of a usage series, starting at Start.
type UsagePoint struct {
	Start time.Time `json:"start"`
	UsageCounts
}

// UsageIP is a client address of a key: its requests and when last seen.
type UsageIP struct {
	IP       string    `json:"ip"`
	Requests int64     `json:"requests"`
	LastSeen time.Time `json:"last_seen"`
}

// KeyUsage is the answer to GET /api-keys/{key_id}/usage and
// GET /api-keys/self/usage: the key's requests in [since, until) as a
// series of buckets (every bucket, zeros included), their totals, the
// scopes it was checked for, its client addresses, its busiest minute, and
// with ?lineage=true the other keys of its rotation lineage.
type KeyUsage struct {
	KeyID       string           `json:"key_id"`
	Bucket      string           `json:"bucket"`
	Since       time.Time        `json:"since"`
	Until       time.Time        `json:"until"`
	RateLimit   int              `json:"rate_limit"`
	Permissions []string         `json:"permissions"`
	Series      []UsagePoint     `json:"series"`
	Totals      UsageCounts      `json:"totals"`
	PeakMinute  *UsagePoint      `json:"peak_minute"`
	Scopes      map[string]int64 `json:"scopes"`
	IPs         []UsageIP        `json:"ips"`
	Lineage     []LineageUsage   `json:"lineage,omitempty"`
}

// LineageUsage is the series of another key of a rotation lineage, oldest
// key first.
type LineageUsage struct {
	KeyID       string       `json:"key_id"`
	Status      string       `json:"status"`
	RotatedFrom *string      `json:"rotated_from"`
	RotatedTo   *string      `json:"rotated_to"`
	Series      []UsagePoint `json:"series"`
	Totals      UsageCounts  `json:"totals"`
}

// UsageSummary is one key's row of GET /api-keys/usage.
type UsageSummary struct {
	KeyID         string           `json:"key_id"`
	Totals        UsageCounts      `json:"totals"`
	PeakMinute    *UsagePoint      `json:"peak_minute"`
	Scopes        map[string]int64 `json:"scopes"`
	IPs           []UsageIP        `json:"ips"`
	LastRequestAt *time.Time       `json:"last_request_at"`
}

// UsageSummaryList is the answer to GET /api-keys/usage, paged like KeyList.
type UsageSummaryList struct {
	Since      time.Time      `json:"since"`
	Until      time.Time      `json:"until"`
	Data       []UsageSummary `json:"data"`
	NextCursor *string        `json:"next_cursor"`
}

// CreateKeyRequest is the body of POST /api-keys. Optional fields are
// pointers or omitted so the server applies its defaults.
type CreateKeyRequest struct {
	Name           string     `json:"name"`
	Description    string     `json:"description,omitempty"`
	Permissions    []string   `json:"permissions"`
	RateLimit      *int       `json:"rate_limit,omitempty"`
	Environment    string     `json:"environment,omitempty"`
	IPRestrictions []string   `json:"ip_restrictions,omitempty"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
}

// UpdateKeyRequest is the body of PATCH /api-keys/{key_id}: only the fields
// present are changed. An empty, non-nil IPRestrictions clears the list.
// AddPermissions and RemovePermissions (not with Permissions) edit the key's
// current scopes in one transaction, so concurrent edits lose none.
type UpdateKeyRequest struct {
	Name              *string    `json:"name,omitempty"`
	Description       *string    `json:"description,omitempty"`
	Permissions       []string   `json:"permissions,omitempty"`
	AddPermissions    []string   `json:"add_permissions,omitempty"`
	RemovePermissions []string   `json:"remove_permissions,omitempty"`
	RateLimit         *int       `json:"rate_limit,omitempty"`
	IPRestrictions    *[]string  `json:"ip_restrictions,omitempty"`
	ExpiresAt         *time.Time `json:"expires_at,omitempty"`
}

// RotateRequest is the body of POST /api-keys/{key_id}/rotate and
// POST /api-keys/self/rotate (which takes GracePeriodSeconds only).
type RotateRequest struct {
	GracePeriodSeconds int64      `json:"grace_period_seconds"`
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
}

// RateLimitState is the rate_limit object of a verify answer.
type RateLimitState struct {
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	ResetAt   time.Time `json:"reset_at"`
}

// Verification is the answer to GET /auth/verify.
type Verification struct {
	Authenticated bool           `json:"authenticated"`
	KeyID         string         `json:"key_id"`
	Environment   string         `json:"environment"`
	Permissions   []string       `json:"permissions"`
	RateLimit     RateLimitState `json:"rate_limit"`
	// ExpiresAt is when the key stops working (docs/api.md#get-authverify--check-a-key-api-key):
	// what lets a client warn before it does without another request.
	ExpiresAt time.Time `json:"expires_at"`
}

// ErrorBody is the flat error form the API answers with:
// {"error": "<code>", "message": "<text>", "details": {...}}.
type ErrorBody struct {
	Error   string         `json:"error"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// OutboxMessage is one message the emulator "sent" (GET /_emulator/outbox).
// Status is its code's state when listed: OTPValid, OTPUsed, OTPExpired or
// OTPSuperseded (a newer code went to the same destination).
type OutboxMessage struct {
	Channel     string    `json:"channel"`
	Destination string    `json:"destination"`
	Code        string    `json:"code"`
	Text        string    `json:"text"`
	SentAt      time.Time `json:"sent_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	Status      string    `json:"status"`
}

// The states of an outbox message's code.
const (
	OTPValid      = "valid"
	OTPUsed       = "used"
	OTPExpired    = "expired"
	OTPSuperseded = "superseded"
)

// Outbox is the answer to GET /_emulator/outbox.
type Outbox struct {
	Messages []OutboxMessage `json:"messages"`
	// Undelivered are the codes asked for addresses no partner has: the
	// API answered as for any address (docs/api.md, OTP login), and nothing
	// was sent.
	Undelivered []UndeliveredOTP `json:"undelivered"`
}

// UndeliveredOTP is a code asked for an address no partner has.
type UndeliveredOTP struct {
	Channel     string    `json:"channel"`
	Destination string    `json:"destination"`
	RequestedAt time.Time `json:"requested_at"`
	// Reason says why nothing was sent, naming the partners' addresses.
	Reason string `json:"reason"`
}

// ClockRequest is the body of POST /_emulator/clock.
type ClockRequest struct {
	AdvanceSeconds int64 `json:"advance_seconds"`
}

// ClockState is the answer to GET and POST /_emulator/clock: the emulator's
// time.
type ClockState struct {
	Now time.Time `json:"now"`
}
