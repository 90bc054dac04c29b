package wire

// Error codes of the API: the "error" field of an error body (docs/api.md).
const (
	CodeValidation       = "validation_error"
	CodeAuthentication   = "authentication_failed"
	CodeVerification     = "verification_failed"
	CodePermission       = "permission_denied"
	CodeNotFound         = "not_found"
	CodeConflict         = "conflict"
	CodeRateLimit        = "rate_limit_exceeded"
	CodeInternal         = "internal_error"
	CodeMethodNotAllowed = "method_not_allowed"
)

// Keys of an error body's details object.
const (
	DetailErrorCode          = "error_code"
	DetailField              = "field"
	DetailAttemptsRemaining  = "attempts_remaining"
	DetailRequiredPermission = "required_permission"
	DetailCurrentPermissions = "current_permissions"
	DetailLimit              = "limit"
	DetailWindow             = "window"
	DetailRetryAfter         = "retry_after"
	DetailDocumentationURL   = "documentation_url"
)

// DocumentationURL is details.documentation_url of every error, as in the
// example error body of Zupy's authentication page.
const DocumentationURL = "https://docs.zupy.com/authentication"

// Values of details.error_code: the upper-case code that tells apart answers
// sharing an error code and message.
const (
	ErrValidation       = "VALIDATION_ERROR"
	ErrInternal         = "INTERNAL_ERROR"
	ErrNotFound         = "NOT_FOUND"
	ErrMethodNotAllowed = "METHOD_NOT_ALLOWED"
	// The emulator's dashboard event stream (docs/api.md "The dashboard"):
	// 503 unavailable.
	ErrTooManyStreams         = "TOO_MANY_STREAMS"
	ErrShuttingDown           = "SHUTTING_DOWN"
	ErrMissingAuthorization   = "MISSING_AUTHORIZATION"
	ErrInvalidAPIKeyFormat    = "INVALID_API_KEY_FORMAT"
	ErrInvalidAPIKey          = "INVALID_API_KEY"
	ErrAPIKeyExpired          = "API_KEY_EXPIRED"
	ErrAPIKeyRevoked          = "API_KEY_REVOKED"
	ErrSessionExpired         = "SESSION_EXPIRED"
	ErrInvalidSessionToken    = "INVALID_SESSION_TOKEN"
	ErrIPNotAllowed           = "IP_NOT_ALLOWED"
	ErrInsufficientPerms      = "INSUFFICIENT_PERMISSIONS"
	ErrKeyNotFound            = "KEY_NOT_FOUND"
	ErrCustomerNotFound       = "CUSTOMER_NOT_FOUND"
	ErrKeyAlreadyRotated      = "KEY_ALREADY_ROTATED"
	ErrKeyRevoked             = "KEY_REVOKED"
	ErrKeyExpired             = "KEY_EXPIRED"
	ErrOTPExpired             = "OTP_EXPIRED"
	ErrOTPSuperseded          = "OTP_SUPERSEDED"
	ErrOTPNotFound            = "OTP_NOT_FOUND"
	ErrOTPAlreadyUsed         = "OTP_ALREADY_USED"
	ErrOTPAttemptsExhausted   = "OTP_ATTEMPTS_EXHAUSTED"
	ErrInvalidOTP             = "INVALID_OTP"
	ErrRateLimitExceeded      = "RATE_LIMIT_EXCEEDED"
	ErrOTPResendCooldown      = "OTP_RESEND_COOLDOWN"
	ErrOTPSendLimit           = "OTP_SEND_LIMIT"
	ErrDuplicateAuthorization = "DUPLICATE_AUTHORIZATION"
	ErrHostNotAllowed         = "HOST_NOT_ALLOWED"
	ErrOriginNotAllowed       = "ORIGIN_NOT_ALLOWED"
	ErrUnsupportedMediaType   = "UNSUPPORTED_MEDIA_TYPE"
	ErrOTPLocked              = "OTP_LOCKED"
)

// The exact messages of docs/api.md, and the others the emulator answers with.
const (
	MsgMissingAuthorization = "Missing Authorization header"
	MsgInvalidAPIKeyFormat  = "Invalid API key format"
	MsgInvalidAPIKey        = "Invalid or expired API key"
	MsgAPIKeyExpired        = "API key has expired"
	MsgSessionExpired       = "Session has expired"
	MsgInvalidSessionToken  = "Invalid session token"
	MsgOTPExpired           = "OTP code has expired"
	MsgInvalidOTP           = "Invalid OTP code"
	MsgOTPAlreadyUsed       = "OTP code has already been used"
	MsgOTPAttemptsExhausted = "Too many failed attempts for this OTP code; request a new one"
	MsgInsufficientPerms    = "Insufficient permissions for this operation"
	MsgIPNotAllowed         = "IP address not allowed for this API key"
	MsgKeyNotFound          = "API key not found"
	MsgCustomerNotFound     = "Customer not found"
	MsgKeyAlreadyRotated    = "API key has already been rotated"
	MsgKeyRevoked           = "API key has been revoked"
	MsgRateLimitExceeded    = "Request rate limit exceeded"
	MsgInternal             = "Internal server error"
	MsgNotFound             = "Not found"
	MsgMethodNotAllowed     = "Method not allowed"
)

// The refusals of a rotation's undo (docs/api.md, POST
// /api-keys/{key_id}/rotation/undo), each a 409 conflict. A successor
// revoked otherwise answers ErrKeyRevoked, one rotated again
// ErrKeyAlreadyRotated, with the messages below.
const (
	ErrRotationNotUndoable   = "ROTATION_NOT_UNDOABLE"
	ErrRotationAlreadyUndone = "ROTATION_ALREADY_UNDONE"
	ErrRotationNotRecorded   = "ROTATION_NOT_RECORDED"

	MsgRotationNotUndoable      = "Rotation cannot be undone: the previous key has expired or was revoked"
	MsgRotationAlreadyUndone    = "Rotation has already been undone"
	MsgRotationNotRecorded      = "Rotation cannot be undone: it was made before the server recorded the previous key's expiry"
	MsgRotationSuccessorRevoked = "Rotation cannot be undone: the new key has been revoked"
	MsgRotationSuccessorRotated = "Rotation cannot be undone: the new key has itself been rotated; undo that rotation first"
)
