package scan

import (
	"context"
	"fmt"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/keys/keystore"
	zscan "github.com/zupy/zupy-cli/internal/scan"
	"github.com/zupy/zupy-cli/internal/ui"
)

// revoke revokes the live keys with a known id, after asking on a
// terminal. It returns the first failure, after trying every key.
func (o *ScanOptions) revoke(ctx context.Context, s *scanSession, findings []zscan.Finding, verdicts map[string]*verdict) error {
	errOut := o.IO.ErrOut
	cs := o.IO.ErrColorScheme()
	type target struct {
		secret string
		v      *verdict
	}
	var targets []target
	seen := map[string]bool{}
	for _, f := range findings {
		secret := f.Secret.Reveal()
		v := verdicts[secret]
		if seen[secret] || v == nil || v.status != statusLive || v.keyID == "" {
			continue
		}
		seen[secret] = true
		targets = append(targets, target{secret, v})
	}
	if len(targets) == 0 {
		fmt.Fprintln(errOut, "No live keys to revoke")
		return nil
	}
	if !o.Yes {
		fmt.Fprintf(errOut, "Live keys found:\n")
		for _, t := range targets {
			fmt.Fprintf(errOut, "  %s  %s  %s\n", ui.SingleLine(t.v.keyID), apikey.Mask(t.secret), ui.SingleLine(t.v.environment))
		}
		ok, err := o.Prompter().Confirm(fmt.Sprintf("Revoke %s? This cannot be undone", ui.Plural(len(targets), "key")), false)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(errOut, "Nothing revoked")
			return nil
		}
	}
	var first error
	for _, t := range targets {
		key, _, err := s.client.RevokeKey(ctx, s.session.Token, t.v.keyID)
		if err != nil {
			err = fmt.Errorf("revoke %s: %w", t.v.keyID, s.session.Refused(err))
			fmt.Fprintf(errOut, "%s could not %s\n", cs.FailureIcon(), ui.SingleLine(err.Error()))
			if first == nil {
				first = err
			}
			continue
		}
		t.v.revoked = true
		fmt.Fprintf(errOut, "%s Revoked %s (%s) %q\n", cs.SuccessIcon(), ui.SingleLine(key.KeyID), apikey.Mask(t.secret), ui.SingleLine(key.Name))
		for _, n := range keystore.Forget(ctx, o.Store, keystore.Profile{Load: o.Config, Name: o.Profile}, key.KeyID) {
			fmt.Fprintln(errOut, ui.SingleLine(n))
		}
	}
	return first
}
