package api

import "github.com/zupy/zupy-cli/internal/wire"

// The wire types of the Zupy authentication API v1 live in internal/wire,
// shared with the emulator; these aliases keep the client's callers naming
// them api.Key, api.Login and so on.
type (
	OTPRequest       = wire.OTPRequest
	OTPChallenge     = wire.OTPChallenge
	OTPVerifyRequest = wire.OTPVerifyRequest
	Partner          = wire.Partner
	Login            = wire.Login
	Session          = wire.Session
	Key              = wire.Key
	PreviousKey      = wire.PreviousKey
	RevokedSuccessor = wire.RevokedSuccessor
	Rotation         = wire.Rotation
	KeyList          = wire.KeyList
	KeyUsage         = wire.KeyUsage
	LineageUsage     = wire.LineageUsage
	UsageCounts      = wire.UsageCounts
	UsagePoint       = wire.UsagePoint
	UsageIP          = wire.UsageIP
	UsageSummary     = wire.UsageSummary
	UsageSummaryList = wire.UsageSummaryList
	CreateKeyRequest = wire.CreateKeyRequest
	UpdateKeyRequest = wire.UpdateKeyRequest
	RotateRequest    = wire.RotateRequest
	RateLimitState   = wire.RateLimitState
	Verification     = wire.Verification
	ErrorBody        = wire.ErrorBody
	OutboxMessage    = wire.OutboxMessage
	Outbox           = wire.Outbox
	UndeliveredOTP   = wire.UndeliveredOTP
)

// Who performed a rotation (Rotation.By).
const (
	RotatedBySession = wire.RotatedBySession
	RotatedByKey     = wire.RotatedByKey
)

// Page sizes of the paginated lists.
const (
	DefaultPageLimit = wire.DefaultPageLimit
	MaxPageLimit     = wire.MaxPageLimit
)

// Key statuses.
const (
	StatusActive  = wire.StatusActive
	StatusExpired = wire.StatusExpired
	StatusRevoked = wire.StatusRevoked
)

// Error codes of the API (docs/api.md).
const (
	CodeValidation     = wire.CodeValidation
	CodeAuthentication = wire.CodeAuthentication
	CodeVerification   = wire.CodeVerification
	CodePermission     = wire.CodePermission
	CodeNotFound       = wire.CodeNotFound
	CodeConflict       = wire.CodeConflict
	CodeRateLimit      = wire.CodeRateLimit
	CodeInternal       = wire.CodeInternal
)
