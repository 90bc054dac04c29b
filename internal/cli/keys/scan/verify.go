package scan

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	zscan "github.com/zupy/zupy-cli/internal/scan"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// Statuses of a finding after --verify.
const (
	statusLive        = "live"
	statusDead        = "expired_or_revoked"
	statusInvalid     = "invalid"      // not a key the API knows
	statusNotVerified = "not_verified" // session tokens are never sent
	statusUnverified  = "unverified"   // the check failed; see stderr
)

// verdict is what --verify and --revoke learned about one secret.
type verdict struct {
	status      string
	keyID       string
	environment string
	scopes      []string
	revoked     bool
	// note says why a live key's scopes are missing: its check was refused
	// for its rate limit or IP allow-list, which proves it live.
	note string
}

// check is what the error of one GET /auth/verify says about the key
// (classify).
type check struct {
	// status is statusDead, statusInvalid, statusLive (a key refused for
	// where it came from or how often: the key itself is good), or
	// statusUnverified when the answer says nothing about the key.
	status string
	// note is a live key's missing scopes, why ("rate limited; scopes not
	// read"); why is the same for the warning ("it is rate limited").
	note, why string
	// unreachable is a network error: the server's other keys are not
	// tried, and stay unverified.
	unreachable bool
}

// classify turns the error of GET /auth/verify into a verdict. It is the
// whole policy of what an answer means (docs/scan.md): 401 with the
// expired or revoked code (or, from the real API, which sends no code, the
// expired message) is expired_or_revoked; any other 401 invalid; 403 for
// the IP allow-list and 429 live; anything else says nothing about the key.
func classify(err error) check {
	var netErr *api.NetworkError
	if errors.As(err, &netErr) {
		return check{status: statusUnverified, unreachable: true}
	}
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		return check{status: statusUnverified}
	}
	switch code, _ := apiErr.Details[wire.DetailErrorCode].(string); {
	case apiErr.Status == http.StatusUnauthorized && (code == wire.ErrAPIKeyExpired || code == wire.ErrAPIKeyRevoked ||
		code == "" && apiErr.Message == wire.MsgAPIKeyExpired):
		return check{status: statusDead}
	case apiErr.Status == http.StatusUnauthorized:
		return check{status: statusInvalid}
	case apiErr.Status == http.StatusForbidden && code == wire.ErrIPNotAllowed:
		return check{status: statusLive, note: "IP not allowed here; scopes not read", why: "its IP allow-list refused this machine"}
	case apiErr.Status == http.StatusTooManyRequests:
		return check{status: statusLive, note: "rate limited; scopes not read", why: "it is rate limited"}
	}
	return check{status: statusUnverified}
}

// scanSession is the login session --revoke (and its key-id lookup) runs
// under, with the partner's active keys by environment.
type scanSession struct {
	client  *api.Client
	session resolve.Session
	keys    map[string][]api.Key
}

func (o *ScanOptions) openSession(ctx context.Context) (*scanSession, error) {
	client, err := o.Client()
	if err != nil {
		return nil, err
	}
	s, err := o.Session(ctx, client.BaseURL())
	if err != nil {
		return nil, err
	}
	return &scanSession{client: client, session: s, keys: map[string][]api.Key{}}, nil
}

// keyIDByHint finds the id of a live key from the session's key list, by
// its masked form and environment, when exactly one key matches.
func (s *scanSession) keyIDByHint(ctx context.Context, secret string, env apikey.Environment) (string, error) {
	keys, ok := s.keys[string(env)]
	if !ok {
		var err error
		if keys, _, err = s.client.ListKeys(ctx, s.session.Token, string(env), api.StatusActive); err != nil {
			return "", err
		}
		s.keys[string(env)] = keys
	}
	hint := apikey.Mask(secret)
	var ids []string
	for _, k := range keys {
		if k.KeyHint == hint && k.Environment == string(env) {
			ids = append(ids, k.KeyID)
		}
	}
	if len(ids) != 1 {
		return "", nil
	}
	return ids[0], nil
}

// verify checks each distinct API key found with GET /auth/verify, once,
// without retries. Session tokens are never sent.
func (o *ScanOptions) verify(ctx context.Context, findings []zscan.Finding, session *scanSession) (map[string]*verdict, error) {
	verdicts := map[string]*verdict{}
	type target struct {
		secret string
		key    apikey.Key
	}
	byURL := map[string][]target{}
	var urls []string
	skipped := map[string][]apikey.Environment{}
	var skips []string
	for _, f := range findings {
		secret := f.Secret.Reveal()
		if _, seen := verdicts[secret]; seen {
			continue
		}
		if !f.Kind.IsKey() {
			verdicts[secret] = &verdict{status: statusNotVerified}
			continue
		}
		key, err := apikey.Parse(secret)
		if err != nil { // the matcher only reports well-formed keys
			verdicts[secret] = &verdict{status: statusInvalid}
			continue
		}
		verdicts[secret] = &verdict{status: statusUnverified, environment: string(key.Environment)}
		u, skip, err := o.VerifyTarget(key.Environment)
		if err != nil {
			return nil, err
		}
		if skip != "" {
			verdicts[secret].status = statusNotVerified
			if _, ok := skipped[skip]; !ok {
				skips = append(skips, skip)
			}
			skipped[skip] = append(skipped[skip], key.Environment)
			continue
		}
		if _, ok := byURL[u]; !ok {
			urls = append(urls, u)
		}
		byURL[u] = append(byURL[u], target{secret, key})
	}
	errOut := o.IO.ErrOut
	cs := o.IO.ErrColorScheme()
	for _, why := range skips {
		envs := skipped[why]
		fmt.Fprintf(errOut, "%s not verifying %s: %s, and a key is only sent to the API of its own environment\n",
			cs.WarningIcon(), ui.Plural(len(envs), string(envs[0])+" key"), why)
	}
	for _, u := range urls {
		ts := byURL[u]
		client, err := o.ClientFor(u)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(errOut, "Sending %s to %s (GET /auth/verify); each check counts as a use of the key\n", ui.Plural(len(ts), "key"), u)
		for i, t := range ts {
			v := verdicts[t.secret]
			res, _, err := client.Verify(ctx, t.secret, nil, true)
			if err == nil {
				v.status, v.keyID, v.environment, v.scopes = statusLive, res.KeyID, res.Environment, res.Permissions
				continue
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			c := classify(err)
			if c.unreachable {
				// The server cannot be reached: say so once, and leave
				// this server's other keys unverified rather than fail
				// the same way for each.
				fmt.Fprintf(errOut, "%s could not verify %s at %s: %s\n", cs.WarningIcon(), ui.Plural(len(ts)-i, "key"), u, ui.SingleLine(err.Error()))
				break
			}
			v.status, v.note = c.status, c.note
			switch {
			case c.status == statusUnverified:
				fmt.Fprintf(errOut, "%s could not verify %s: %s\n", cs.WarningIcon(), apikey.Mask(t.secret), ui.SingleLine(err.Error()))
			case c.status == statusLive:
				// Refused for where it came from or how often: its id
				// comes from the key list, and only --revoke opened a
				// session: --verify alone never sends one, so the id
				// stays unknown.
				if session != nil {
					id, err := session.keyIDByHint(ctx, t.secret, t.key.Environment)
					if err != nil {
						fmt.Fprintf(errOut, "%s could not list keys to find the id of %s: %s\n", cs.WarningIcon(), apikey.Mask(t.secret), ui.SingleLine(session.session.Refused(err).Error()))
					}
					v.keyID = id
				}
				if v.keyID == "" {
					fmt.Fprintf(errOut, "%s %s is live (%s), but its key id is unknown: revoke it by hand\n", cs.WarningIcon(), apikey.Mask(t.secret), c.why)
				}
			}
		}
	}
	return verdicts, nil
}
