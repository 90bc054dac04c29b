package keys

import (
	"errors"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/scope"
)

// The local validation of docs/api.md#routes, with messages naming the flag. Every
// function here is pure: it runs before any request is sent.

// flagError is a usage error "invalid --FLAG: MESSAGE", taking the message of
// an apikey.FieldError without its wire field name.
func flagError(flag string, err error) error {
	msg := err.Error()
	var fe *apikey.FieldError
	if errors.As(err, &fe) {
		msg = fe.Message
	}
	return cmdutil.Usagef("invalid --%s: %s", flag, msg)
}

// splitList splits each value on commas and drops blanks, so a list flag
// takes "a,b", "--flag a --flag b" or both.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseScopes validates a scope list given to --flag.
func parseScopes(flag string, values []string) ([]string, error) {
	perms, err := scope.Normalize(splitList(values))
	if err != nil {
		return nil, cmdutil.Usagef("invalid --%s: %s", flag, err.Error())
	}
	return perms, nil
}

// parseIPs validates the --allow-ip entries and returns them canonical.
// A flag given with nothing in it (--allow-ip "" from an empty variable) is
// an error, with emptyHint saying how to allow any address: never a key that
// silently has no restriction.
func parseIPs(values []string, emptyHint string) ([]string, error) {
	entries := splitList(values)
	if len(entries) == 0 {
		return nil, usageHint(emptyHint, "invalid --allow-ip: no address given")
	}
	ips, err := apikey.ParseIPRestrictions(entries)
	if err != nil {
		var fe *apikey.FieldError
		if errors.As(err, &fe) && errors.Is(err, apikey.ErrHostBitsSet) {
			// "--allow-ip 10.0.0.5/8: host bits set; did you mean 10.0.0.0/8?"
			return nil, cmdutil.Usagef("--allow-ip %s", fe.Message)
		}
		return nil, flagError("allow-ip", err)
	}
	return ips, nil
}

// parseRateLimit checks --rate-limit.
func parseRateLimit(n int) error {
	if err := apikey.ValidateRateLimit(n); err != nil {
		return flagError("rate-limit", err)
	}
	return nil
}

// parseExpiry turns --expires or --expires-in (at most one is set) into the
// expiry time, which must lie after now; nil when neither is set.
func parseExpiry(expires, expiresIn string, now time.Time) (*time.Time, error) {
	switch {
	case expires != "" && expiresIn != "":
		return nil, cmdutil.Usagef("--expires and --expires-in cannot be used together")
	case expires != "":
		t, err := apikey.ParseExpiry(expires)
		if err != nil {
			return nil, flagError("expires", err)
		}
		if err := apikey.ValidateExpiry(t, now); err != nil {
			return nil, flagError("expires", err)
		}
		return &t, nil
	case expiresIn != "":
		d, err := apikey.ParseLifetime(expiresIn)
		if err != nil {
			return nil, flagError("expires-in", err)
		}
		end := now.Add(d)
		if end.Before(now) { // overflow guard: a huge lifetime wraps around
			return nil, cmdutil.Usagef("invalid --expires-in: %q is too long", expiresIn)
		}
		t := end.UTC().Truncate(time.Second)
		if !t.After(now) {
			return nil, cmdutil.Usagef("invalid --expires-in: %q is too short: a key must live at least a second", expiresIn)
		}
		if err := apikey.ValidateExpiry(t, now); err != nil { // 200y passes 2200: refuse it here, not at the server
			return nil, flagError("expires-in", err)
		}
		return &t, nil
	}
	return nil, nil
}

// parseGrace parses --grace: a Go duration ("36h", "90m", "0") or a number of
// days ("2d"). 0 revokes the old key at once; negative values and more than
// 168h are refused, and so are fractions of a second.
func parseGrace(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := cmdutil.Usagef("invalid --grace %q: not a duration (examples: 24h, 90m, 2d, 0)", s)
	var d time.Duration
	switch {
	case s == "":
		return 0, bad
	case s == "0":
		return 0, nil
	case strings.HasSuffix(s, "d") || strings.HasSuffix(s, "y"):
		if strings.HasPrefix(s, "-") {
			return 0, cmdutil.Usagef("invalid --grace %s: must not be negative", s)
		}
		if strings.HasPrefix(s, "0") && strings.Trim(s, "0dy") == "" {
			return 0, nil
		}
		var err error
		if d, err = apikey.ParseLifetime(s); err != nil {
			return 0, bad
		}
	default:
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	switch {
	case d < 0:
		return 0, cmdutil.Usagef("invalid --grace %s: must not be negative", s)
	case d > apikey.MaxGrace:
		return 0, cmdutil.Usagef("invalid --grace %s: must be at most 168h (7 days)", s)
	case d%time.Second != 0:
		return 0, cmdutil.Usagef("invalid --grace %s: must be a whole number of seconds", s)
	}
	return d, nil
}

// checkKeyID refuses a malformed key id before any request.
func checkKeyID(id string) error {
	if cmdutil.LooksSecret(id) {
		return cmdutil.SecretArgument(id)
	}
	if !apikey.ValidID(id) {
		return cmdutil.Usagef("invalid key id %q: a key id is key_ followed by 12 lowercase letters or digits", id)
	}
	return nil
}

// environmentAliases are the names of the key prefixes (zup_live_sk_,
// zup_test_sk_), accepted for the environments they stand for.
var environmentAliases = map[string]apikey.Environment{"live": apikey.Production, "test": apikey.Staging}

// normalizeEnvironment validates --environment and returns its canonical
// name: production or staging, or live and test, the key prefixes' names.
func normalizeEnvironment(env string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(env))
	if alias, ok := environmentAliases[v]; ok {
		return string(alias), nil
	}
	if e, err := apikey.ParseEnvironment(v); err == nil {
		return string(e), nil
	}
	return "", cmdutil.Usagef("invalid --environment %q: must be production or staging (or live or test, the key prefixes)", env)
}

// parseSecret checks the format of an API key read from source ("stdin",
// "prompt", "ZUPY_API_KEY") without ever echoing it.
func parseSecret(secret, source string) (apikey.Key, error) {
	k, err := apikey.Parse(secret)
	if err != nil {
		return apikey.Key{}, cmdutil.WithHint(cmdutil.Usagef("Invalid API key format (from %s)", source),
			"An API key looks like zup_live_sk_ or zup_test_sk_ followed by 20 to 64 letters and digits")
	}
	return k, nil
}

// usageHint is a usage error with a hint line.
func usageHint(hint, format string, args ...any) error {
	return cmdutil.WithHint(cmdutil.Usagef(format, args...), hint)
}

func validateName(name string) error {
	if err := apikey.ValidateName(name); err != nil {
		return flagError("name", err)
	}
	return nil
}

func validateDescription(d string) error {
	if err := apikey.ValidateDescription(d); err != nil {
		return flagError("description", err)
	}
	return nil
}
