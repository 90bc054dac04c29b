package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/zupy/zupy-cli/internal/api"
)

// apiError is an error answer: status plus the flat body of SPEC §6. Handlers
// return it; writeError renders it.
type apiError struct {
	Status  int
	Code    string
	Message string
	Details map[string]any
	// Header holds extra headers for the answer (Retry-After).
	Header map[string]string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func errorf(status int, code, upper, message string, details ...any) *apiError {
	d := map[string]any{"error_code": upper}
	for i := 0; i+1 < len(details); i += 2 {
		d[details[i].(string)] = details[i+1]
	}
	return &apiError{Status: status, Code: code, Message: message, Details: d}
}

// validation is a 400 validation_error naming the field.
func validation(field, message string) *apiError {
	return errorf(http.StatusBadRequest, api.CodeValidation, "VALIDATION_ERROR", field+": "+message, "field", field)
}

// The fixed error answers of SPEC §6.
var (
	errMissingAuth      = errorf(http.StatusUnauthorized, api.CodeAuthentication, "MISSING_AUTHORIZATION", "Missing Authorization header")
	errKeyFormat        = errorf(http.StatusUnauthorized, api.CodeAuthentication, "INVALID_API_KEY_FORMAT", "Invalid API key format")
	errKeyUnknown       = errorf(http.StatusUnauthorized, api.CodeAuthentication, "INVALID_API_KEY", "Invalid or expired API key")
	errKeyExpired       = errorf(http.StatusUnauthorized, api.CodeAuthentication, "API_KEY_EXPIRED", "API key has expired")
	errKeyRevoked       = errorf(http.StatusUnauthorized, api.CodeAuthentication, "API_KEY_REVOKED", "API key has expired")
	errSessionExpired   = errorf(http.StatusUnauthorized, api.CodeAuthentication, "SESSION_EXPIRED", "Session has expired")
	errSessionInvalid   = errorf(http.StatusUnauthorized, api.CodeAuthentication, "INVALID_SESSION_TOKEN", "Invalid session token")
	errIPNotAllowed     = errorf(http.StatusForbidden, api.CodePermission, "IP_NOT_ALLOWED", "IP address not allowed for this API key")
	errKeyNotFound      = errorf(http.StatusNotFound, api.CodeNotFound, "KEY_NOT_FOUND", "API key not found")
	errAlreadyRotated   = errorf(http.StatusConflict, api.CodeConflict, "KEY_ALREADY_ROTATED", "API key has already been rotated")
	errRotateRevoked    = errorf(http.StatusConflict, api.CodeConflict, "KEY_REVOKED", "API key has been revoked")
	errRotateExpired    = errorf(http.StatusConflict, api.CodeConflict, "KEY_EXPIRED", "API key has expired")
	errOTPExpired       = errorf(http.StatusUnauthorized, api.CodeVerification, "OTP_EXPIRED", "OTP code has expired")
	errOTPSuperseded    = errorf(http.StatusUnauthorized, api.CodeVerification, "OTP_SUPERSEDED", "OTP code has expired")
	errOTPUnknown       = errorf(http.StatusUnauthorized, api.CodeVerification, "OTP_NOT_FOUND", "OTP code has expired")
	errOTPUsed          = errorf(http.StatusUnauthorized, api.CodeVerification, "OTP_ALREADY_USED", "OTP code has already been used")
	errOTPDead          = errorf(http.StatusUnauthorized, api.CodeVerification, "OTP_ATTEMPTS_EXHAUSTED", "Too many failed attempts for this OTP code; request a new one", "attempts_remaining", 0)
	errInternal         = &apiError{Status: http.StatusInternalServerError, Code: api.CodeInternal, Message: "Internal server error"}
	errNotFoundRoute    = &apiError{Status: http.StatusNotFound, Code: api.CodeNotFound, Message: "Not found"}
	errMethodNotAllowed = &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "Method not allowed"}
)

func errInvalidOTP(remaining int) *apiError {
	return errorf(http.StatusUnauthorized, api.CodeVerification, "INVALID_OTP", "Invalid OTP code", "attempts_remaining", remaining)
}

func errInsufficient(required string, current []string) *apiError {
	return errorf(http.StatusForbidden, api.CodePermission, "INSUFFICIENT_PERMISSIONS", "Insufficient permissions for this operation",
		"required_permission", required, "current_permissions", current)
}

// tooMany is a 429 with Retry-After and details.retry_after in whole seconds.
// rateLimitMessage is the one message of every 429 (SPEC §6), for request
// limits as for OTP cooldowns, send caps and lock-outs; details.error_code
// tells them apart.
const rateLimitMessage = "Request rate limit exceeded"

func tooMany(upper, message string, retryAfter int, details ...any) *apiError {
	if retryAfter < 1 {
		retryAfter = 1
	}
	e := errorf(http.StatusTooManyRequests, api.CodeRateLimit, upper, message, append(details, "retry_after", retryAfter)...)
	e.Header = map[string]string{"Retry-After": fmt.Sprint(retryAfter)}
	return e
}

// jsonContentType is the Content-Type of every JSON answer, shared and
// read-only (Header.Set replaces a value, it never writes into one).
var jsonContentType = []string{"application/json"}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// writeError renders err: an *apiError as itself, anything else as a 500 that
// leaks nothing (the cause goes to the log only).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.log.ErrorContext(r.Context(), "internal error", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
		ae = errInternal
	}
	for k, v := range ae.Header {
		w.Header().Set(k, v)
	}
	body := api.ErrorBody{Error: ae.Code, Message: ae.Message, Details: ae.Details}
	writeJSON(w, ae.Status, body)
}
