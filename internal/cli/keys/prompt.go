package keys

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/scope"
	"github.com/zupy/zupy-cli/internal/ui"
)

// The prompts for input that is missing on a terminal, as gh asks: without
// a terminal nothing is asked and a missing flag stays a usage error.

// askCreate asks for what `keys create` lacks: the name and the scopes and,
// when no flag at all was given, the environment, rate limit, expiry and IP
// allow-list too. Each answer is checked by the rule its flag has.
func askCreate(ctx context.Context, o *CreateOptions, now time.Time) error {
	var qs []ui.Question
	if o.Name == "" {
		qs = append(qs, ui.TextQuestion("Name", "What the key is for (1-100 characters)", "PDV loja 1", &o.Name, validateName))
	}
	var picked []string
	if o.Scopes == nil {
		opts := make([]ui.Option, len(scope.Catalog))
		for i, s := range scope.Catalog {
			opts[i] = ui.Option{Label: fmt.Sprintf("%-17s", s.Name), Description: s.Description, Value: s.Name}
		}
		qs = append(qs, ui.MultiChoiceQuestion("Scopes", "What the key may do (space selects, enter accepts)", opts, &picked, func(s []string) error {
			if len(s) == 0 {
				return fmt.Errorf("pick at least one scope")
			}
			return nil
		}))
	}
	rate, expiry, ips := strconv.Itoa(o.RateLimit), "", ""
	if o.AskAll {
		qs = append(qs,
			ui.ChoiceQuestion("Environment", "Where the key works", []ui.Option{
				{Label: "production", Description: "zup_live_sk_ keys, the live API", Value: "production"},
				{Label: "staging", Description: "zup_test_sk_ keys, the staging API", Value: "staging"},
			}, &o.Environment),
			ui.TextQuestion("Rate limit", "Requests per minute, 1 to 2000", "100", &rate, func(s string) error {
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil {
					return fmt.Errorf("a whole number from 1 to 2000")
				}
				return parseRateLimit(n)
			}),
			ui.TextQuestion("Expiry", "A lifetime (90d, 12h, 1y) or a date (2027-06-30); empty: 365 days", "365d", &expiry, func(s string) error {
				_, _, err := splitExpiry(s, now)
				return err
			}),
			ui.TextQuestion("IP allow-list", "Addresses or CIDR blocks, comma-separated; empty: any address", "203.0.113.10, 198.51.100.0/24", &ips, func(s string) error {
				if strings.TrimSpace(s) == "" {
					return nil
				}
				_, err := parseIPs([]string{s}, "")
				return err
			}),
		)
	}
	save := "no"
	if !o.Save {
		// The secret is shown once: on a terminal, offer to keep it
		// rather than let it be lost with the screen.
		qs = append(qs, ui.ChoiceQuestion("Save", "Keep the secret in the profile's credential store (it is shown only once)", []ui.Option{
			{Label: "no", Description: "print it once, save nothing", Value: "no"},
			{Label: "save", Description: "save it (--save)", Value: "save"},
			{Label: "default", Description: "save it as the profile's default key (--default)", Value: "default"},
		}, &save))
	}
	if err := o.IO.Ask(ctx, qs...); err != nil {
		return err
	}
	switch save {
	case "save":
		o.Save = true
	case "default":
		o.Save, o.Default = true, true
	}
	if o.Scopes == nil {
		o.Scopes = []string{strings.Join(picked, ",")}
	}
	if o.AskAll {
		if n, _ := strconv.Atoi(strings.TrimSpace(rate)); n != 100 {
			o.RateLimit, o.RateLimitSet = n, true
		}
		o.Expires, o.ExpiresIn, _ = splitExpiry(expiry, now)
		if strings.TrimSpace(ips) != "" {
			o.AllowIPs = []string{ips}
		}
	}
	return nil
}

// splitExpiry tells a lifetime (--expires-in) from a date (--expires).
func splitExpiry(s string, now time.Time) (expires, expiresIn string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", nil
	}
	if _, perr := apikey.ParseLifetime(s); perr == nil {
		_, err = parseExpiry("", s, now)
		return "", s, err
	}
	_, err = parseExpiry(s, "", now)
	return s, "", err
}

// commandLine is the `zupy keys create` command that does what the answers
// asked, shown so that it can be scripted next time.
func (o *CreateOptions) commandLine() string {
	args := []string{"zupy", "keys", "create", "--name", shellQuote(o.Name), "--scopes", shellQuote(strings.Join(o.Request.Permissions, ","))}
	if o.Environment != "production" {
		args = append(args, "--environment", o.Environment)
	}
	if o.RateLimitSet {
		args = append(args, "--rate-limit", strconv.Itoa(o.RateLimit))
	}
	if o.ExpiresIn != "" {
		args = append(args, "--expires-in", shellQuote(o.ExpiresIn))
	}
	if o.Expires != "" {
		args = append(args, "--expires", shellQuote(o.Expires))
	}
	for _, ip := range o.Request.IPRestrictions {
		args = append(args, "--allow-ip", shellQuote(ip))
	}
	if o.Description != "" {
		args = append(args, "--description", shellQuote(o.Description))
	}
	if o.Default {
		args = append(args, "--default")
	} else if o.Save {
		args = append(args, "--save")
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/@+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// keyIDArg takes the KEY_ID argument, which a terminal may leave out: the
// run then offers a list to pick from. Without a terminal it is required.
func keyIDArg(io *ui.IOStreams) cobra.PositionalArgs {
	exact := cmdutil.ExactArgs("KEY_ID")
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 && io.CanPrompt() {
			return nil
		}
		return exact(cmd, args)
	}
}

// keyIDFrom is the KEY_ID argument, checked; "" when it was left out to be
// picked on the terminal.
func keyIDFrom(args []string) (string, error) {
	if len(args) == 0 {
		return "", nil
	}
	return args[0], checkKeyID(args[0])
}

// pickKey asks which key to act on, from the partner's keys with status
// ("" is the server's default, active; "all" every key).
func pickKey(ctx context.Context, io *ui.IOStreams, s *sessionClient, verb, status string) (string, error) {
	keys, _, err := s.client.ListKeys(ctx, s.token(), "", status)
	if err != nil {
		return "", s.wrap(err)
	}
	if len(keys) == 0 {
		return "", usageHint("Create one with `zupy keys create`", "no key to %s", verb)
	}
	opts := make([]ui.Option, len(keys))
	for i, k := range keys {
		opts[i] = ui.Option{Label: k.KeyID, Description: pickLabel(k), Value: k.KeyID}
	}
	var id string
	if err := io.Ask(ctx, ui.ChoiceQuestion("Which key to "+verb+"?", "", opts, &id)); err != nil {
		return "", err
	}
	return id, nil
}

func pickLabel(k api.Key) string {
	label := fmt.Sprintf("%s (%s, %s", k.Name, k.Environment, k.Status)
	if k.RotatedTo != nil && k.Status == api.StatusActive {
		label += ", rotated"
	}
	return label + ")"
}
