package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"

	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/wire"
)

// apiError is an error answer: status plus the flat body of docs/api.md. Handlers
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
	d := map[string]any{wire.DetailErrorCode: upper}
	for i := 0; i+1 < len(details); i += 2 {
		d[details[i].(string)] = details[i+1]
	}
	return &apiError{Status: status, Code: code, Message: message, Details: d}
}

// validation is a 400 validation_error naming the field.
func validation(field, message string) *apiError {
	return errorf(http.StatusBadRequest, wire.CodeValidation, wire.ErrValidation, field+": "+message, wire.DetailField, field)
}

// The fixed error answers of docs/api.md.
var (
	errMissingAuth      = errorf(http.StatusUnauthorized, wire.CodeAuthentication, wire.ErrMissingAuthorization, wire.MsgMissingAuthorization)
	errKeyFormat        = errorf(http.StatusUnauthorized, wire.CodeAuthentication, wire.ErrInvalidAPIKeyFormat, wire.MsgInvalidAPIKeyFormat)
	errKeyUnknown       = errorf(http.StatusUnauthorized, wire.CodeAuthentication, wire.ErrInvalidAPIKey, wire.MsgInvalidAPIKey)
	errKeyExpired       = errorf(http.StatusUnauthorized, wire.CodeAuthentication, wire.ErrAPIKeyExpired, wire.MsgAPIKeyExpired)
	errKeyRevoked       = errorf(http.StatusUnauthorized, wire.CodeAuthentication, wire.ErrAPIKeyRevoked, wire.MsgAPIKeyExpired)
	errSessionExpired   = errorf(http.StatusUnauthorized, wire.CodeAuthentication, wire.ErrSessionExpired, wire.MsgSessionExpired)
	errSessionInvalid   = errorf(http.StatusUnauthorized, wire.CodeAuthentication, wire.ErrInvalidSessionToken, wire.MsgInvalidSessionToken)
	errIPNotAllowed     = errorf(http.StatusForbidden, wire.CodePermission, wire.ErrIPNotAllowed, wire.MsgIPNotAllowed)
	errKeyNotFound      = errorf(http.StatusNotFound, wire.CodeNotFound, wire.ErrKeyNotFound, wire.MsgKeyNotFound)
	errCustomerNotFound = errorf(http.StatusNotFound, wire.CodeNotFound, wire.ErrCustomerNotFound, wire.MsgCustomerNotFound)
	errAlreadyRotated   = errorf(http.StatusConflict, wire.CodeConflict, wire.ErrKeyAlreadyRotated, wire.MsgKeyAlreadyRotated)
	errRotateRevoked    = errorf(http.StatusConflict, wire.CodeConflict, wire.ErrKeyRevoked, wire.MsgKeyRevoked)
	errRotateExpired    = errorf(http.StatusConflict, wire.CodeConflict, wire.ErrKeyExpired, wire.MsgAPIKeyExpired)
	errOTPExpired       = errorf(http.StatusUnauthorized, wire.CodeVerification, wire.ErrOTPExpired, wire.MsgOTPExpired)
	errOTPSuperseded    = errorf(http.StatusUnauthorized, wire.CodeVerification, wire.ErrOTPSuperseded, wire.MsgOTPExpired)
	errOTPUnknown       = errorf(http.StatusUnauthorized, wire.CodeVerification, wire.ErrOTPNotFound, wire.MsgOTPExpired)
	errOTPUsed          = errorf(http.StatusUnauthorized, wire.CodeVerification, wire.ErrOTPAlreadyUsed, wire.MsgOTPAlreadyUsed)
	errOTPDead          = errorf(http.StatusUnauthorized, wire.CodeVerification, wire.ErrOTPAttemptsExhausted, wire.MsgOTPAttemptsExhausted, wire.DetailAttemptsRemaining, 0)
	errInternal         = errorf(http.StatusInternalServerError, wire.CodeInternal, wire.ErrInternal, wire.MsgInternal)
	errNotFoundRoute    = errorf(http.StatusNotFound, wire.CodeNotFound, wire.ErrNotFound, wire.MsgNotFound)
	errMethodNotAllowed = errorf(http.StatusMethodNotAllowed, wire.CodeMethodNotAllowed, wire.ErrMethodNotAllowed, wire.MsgMethodNotAllowed)
)

func errInvalidOTP(remaining int) *apiError {
	return errorf(http.StatusUnauthorized, wire.CodeVerification, wire.ErrInvalidOTP, wire.MsgInvalidOTP, wire.DetailAttemptsRemaining, remaining)
}

func errInsufficient(required string, current []string) *apiError {
	return errorf(http.StatusForbidden, wire.CodePermission, wire.ErrInsufficientPerms, wire.MsgInsufficientPerms,
		wire.DetailRequiredPermission, required, wire.DetailCurrentPermissions, current)
}

// tooMany is a 429 with Retry-After and details.retry_after in whole seconds.
// Every 429 carries the one message of docs/api.md, for request limits as for
// OTP cooldowns, send caps and lock-outs; details.error_code tells them apart.
func tooMany(upper string, retryAfter int, details ...any) *apiError {
	if retryAfter < 1 {
		retryAfter = 1
	}
	e := errorf(http.StatusTooManyRequests, wire.CodeRateLimit, upper, wire.MsgRateLimitExceeded, append(details, wire.DetailRetryAfter, retryAfter)...)
	e.Header = map[string]string{"Retry-After": fmt.Sprint(retryAfter)}
	return e
}

// bearerChallenge is the WWW-Authenticate value of every 401, shared and
// read-only.
var bearerChallenge = []string{"Bearer"}

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
// leaks nothing (the cause goes to the log only). It returns the status
// written.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) int {
	var ae *apiError
	if !errors.As(err, &ae) {
		msg := "internal error"
		if store.IsDiskFailure(err) {
			msg = "cannot write the data directory (disk full, read-only or failing): writes fail until it is fixed, reads go on"
		}
		s.log.ErrorContext(r.Context(), msg, slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("data_dir", s.cfg.DataDir), slog.Any("error", err))
		ae = errInternal
	}
	for k, v := range ae.Header {
		w.Header().Set(k, v)
	}
	if ae.Status == http.StatusUnauthorized {
		// RFC 6750, spelled as written there (Set would send Www-Authenticate).
		w.Header()["WWW-Authenticate"] = bearerChallenge
	}
	// The fixed answers are shared: copy their details rather than add to them.
	details := make(map[string]any, len(ae.Details)+1)
	maps.Copy(details, ae.Details)
	details[wire.DetailDocumentationURL] = wire.DocumentationURL
	body := wire.ErrorBody{Error: ae.Code, Message: ae.Message, Details: details}
	writeJSON(w, ae.Status, body)
	return ae.Status
}
