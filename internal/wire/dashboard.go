package wire

import "time"

// The emulator's dashboard (/_emulator/ui/) reads GET /_emulator/ui/state
// and listens to GET /_emulator/ui/events (Server-Sent Events, one
// DashboardEvent per "data:" line). Emulator-only: the real API has neither.

// Types of DashboardEvent.
const (
	EventOTPSent    = "otp.sent"
	EventLogin      = "login"
	EventLogout     = "logout"
	EventKeyCreated = "key.created"
	EventKeyUpdated = "key.updated"
	EventKeyUsed    = "key.used"
	EventKeyRotated = "key.rotated"
	EventKeyRevoked = "key.revoked"
	EventClock      = "clock"
	EventReset      = "reset"
	// EventResync tells a subscriber that events were dropped for it: it
	// must reload the whole state rather than trust the events it got.
	EventResync = "resync"

	// EventKeyRotationUndone: KeyID is the restored predecessor, Successor
	// the key the undo revoked.
	EventKeyRotationUndone = "key.rotation_undone"
)

// DashboardEvent is one thing that happened in the emulator, as the
// dashboard hears of it. It names what changed and never carries a secret:
// no OTP code, key or session token (the dashboard reloads its state to see
// the details).
type DashboardEvent struct {
	Type string    `json:"type"`
	At   time.Time `json:"at"`
	// KeyID is the key concerned (key.*), Successor the key a rotation made.
	KeyID     string `json:"key_id,omitempty"`
	Successor string `json:"successor,omitempty"`
	// Channel and DestinationHint (masked) tell where a code went (otp.sent).
	Channel         string `json:"channel,omitempty"`
	DestinationHint string `json:"destination_hint,omitempty"`
	PartnerID       string `json:"partner_id,omitempty"`
	// Count is how many uses a coalesced key.used event stands for.
	Count int `json:"count,omitempty"`
}

// DashboardState is the answer of GET /_emulator/ui/state. It holds no key
// secret or session token (the emulator has only their HMACs); it does hold
// the OTP codes of the outbox, which is what the outbox is for.
type DashboardState struct {
	Now      time.Time          `json:"now"`
	Partners []DashboardPartner `json:"partners"`
	Outbox   []DashboardMessage `json:"outbox"`
	Keys     []DashboardKey     `json:"keys"`
	// KeysTotal counts every key; Keys holds the newest ?keys= of them
	// (100 by default), the lineages those keys belong to.
	KeysTotal int                `json:"keys_total"`
	Lineages  []DashboardLineage `json:"lineages"`
	Audit     []DashboardAudit   `json:"audit"`
}

// DashboardPartner is a partner account, contacts in full.
type DashboardPartner struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	WhatsApp  string    `json:"whatsapp"`
	CreatedAt time.Time `json:"created_at"`
}

// DashboardMessage is an outbox message: the destination masked, the code
// whole.
type DashboardMessage struct {
	Channel         string    `json:"channel"`
	DestinationHint string    `json:"destination_hint"`
	Code            string    `json:"code"`
	SentAt          time.Time `json:"sent_at"`
	ExpiresAt       time.Time `json:"expires_at"`
	// Note, with no code, says why nothing was sent (no partner has the
	// address).
	Note string `json:"note,omitempty"`
	// Used is true once the code logged someone in: it cannot be typed again.
	Used bool `json:"used"`
}

// DashboardKey is a key as the dashboard shows it: the key object's fields
// (the hint, never the secret) and its partner and lineage.
type DashboardKey struct {
	KeyID          string     `json:"key_id"`
	PartnerID      string     `json:"partner_id"`
	LineageID      string     `json:"lineage_id"`
	Name           string     `json:"name"`
	Permissions    []string   `json:"permissions"`
	RateLimit      int        `json:"rate_limit"`
	Environment    string     `json:"environment"`
	IPRestrictions []string   `json:"ip_restrictions"`
	KeyHint        string     `json:"key_hint"`
	Status         string     `json:"status"`
	CreatedAt      time.Time  `json:"created_at"`
	ExpiresAt      time.Time  `json:"expires_at"`
	RevokedAt      *time.Time `json:"revoked_at"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	UsageCount     int64      `json:"usage_count"`
	RotatedFrom    string     `json:"rotated_from,omitempty"`
	RotatedTo      string     `json:"rotated_to,omitempty"`
	// InGrace is true for a rotated key still active: it works until
	// expires_at, the end of its grace period.
	InGrace bool `json:"in_grace"`
}

// DashboardLineage is a key and its successors: one rate-limit budget.
type DashboardLineage struct {
	LineageID string `json:"lineage_id"`
	Name      string `json:"name"`
	// Chain is the key ids, oldest first.
	Chain []string `json:"chain"`
	// Limit is the newest key's rate limit; Used how much of it the sliding
	// window holds now; Remaining and ResetAt as X-RateLimit-* would say.
	Limit     int       `json:"limit"`
	Used      int       `json:"used"`
	Remaining int       `json:"remaining"`
	ResetAt   time.Time `json:"reset_at"`
	// Status is the newest key's: a revoked or expired lineage spends
	// nothing, whatever its window still holds.
	Status string `json:"status"`
}

// DashboardAudit is one audit event.
type DashboardAudit struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	PartnerID string    `json:"partner_id,omitempty"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"`
	KeyID     string    `json:"key_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}
