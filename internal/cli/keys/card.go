package keys

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/ui"
)

// SecretWarning is printed with every secret shown on a terminal.
const SecretWarning = "This secret will not be shown again. Store it now."

// keyFields are the fields of k a person reads, in display order.
func keyFields(cs *ui.ColorScheme, k *api.Key, now time.Time, isDefault bool) []ui.Field {
	id := k.KeyID
	if isDefault {
		id += " (default)"
	}
	fs := []ui.Field{
		field("Key ID", id, cs.Bold),
		field("Name", k.Name, nil),
	}
	if k.Description != "" {
		fs = append(fs, field("Description", k.Description, nil))
	}
	fs = append(fs,
		field("Environment", k.Environment, nil),
		field("Scopes", strings.Join(k.Permissions, ", "), cs.Accent),
		field("Rate limit", fmt.Sprintf("%d requests/minute", k.RateLimit), nil),
		field("IP allow-list", ipSummary(k.IPRestrictions), nil),
		field("Status", k.Status, statusStyle(cs, k.Status)),
		field("Created", k.CreatedAt.UTC().Format(time.RFC3339), nil),
		field("Expires", k.ExpiresAt.UTC().Format(time.RFC3339)+" ("+ui.RelativeTime(k.ExpiresAt, now)+")", expiryStyle(cs, k.ExpiresAt, now)),
	)
	last := "never"
	if k.LastUsedAt != nil {
		last = k.LastUsedAt.UTC().Format(time.RFC3339) + " (" + ui.RelativeTime(*k.LastUsedAt, now) + ")"
	}
	fs = append(fs, field("Last used", last, nil), field("Usage count", fmt.Sprint(k.UsageCount), nil))
	if k.RevokedAt != nil {
		fs = append(fs, field("Revoked", k.RevokedAt.UTC().Format(time.RFC3339), cs.Failure))
	}
	if k.RotatedFrom != nil {
		fs = append(fs, field("Rotated from", *k.RotatedFrom, nil))
	}
	if k.RotatedTo != nil {
		fs = append(fs, field("Rotated to", *k.RotatedTo, nil))
	}
	if r := k.LastRotation; r != nil {
		fs = append(fs, field("Last rotation", rotationSummary(r)+", "+r.At.UTC().Format(time.RFC3339), rotationStyle(cs, r)))
	}
	if k.KeyHint != "" {
		fs = append(fs, field("Key", k.KeyHint, cs.Muted))
	}
	return fs
}

// field is one labelled line of a card or of `keys show`.
func field(label, value string, style func(string) string) ui.Field {
	return ui.Field{Label: label, Value: value, Style: style}
}

func ipSummary(ips []string) string {
	if len(ips) == 0 {
		return "any address"
	}
	return strings.Join(ips, ", ")
}

// expiryStyle is red when the key expires within 7 days or has expired.
func expiryStyle(cs *ui.ColorScheme, exp, now time.Time) func(string) string {
	if exp.Sub(now) < 7*24*time.Hour {
		return cs.Failure
	}
	return nil
}

func statusStyle(cs *ui.ColorScheme, status string) func(string) string {
	switch status {
	case api.StatusActive:
		return cs.Success
	case api.StatusRevoked:
		return cs.Failure
	}
	return cs.Warning
}

// secretCard is the card shown on a terminal for a key just created or
// rotated: a title, every field, the secret highlighted, the warning that it
// will not be shown again and, for a rotation, what became of the old key.
type secretCard struct {
	Title    string
	Key      *api.Key
	Now      time.Time
	Default  bool
	Previous *api.PreviousKey
	Notes    []string
	Width    int // of the terminal, 0 when unknown
}

// render says what the card shows; ui draws it (with colour off, without
// any ANSI sequence).
func (c secretCard) render(cs *ui.ColorScheme) string {
	fs := keyFields(cs, c.Key, c.Now, c.Default)
	// The masked hint says nothing the secret below does not.
	fs = slices.DeleteFunc(fs, func(f ui.Field) bool { return f.Label == "Key" })
	if c.Previous != nil {
		fs = append(fs, ui.Field{Label: "Previous key", Value: previousSummary(c.Previous, c.Now), Style: cs.Warning})
	}
	fs = append(fs, ui.Field{}, ui.Field{Label: "Secret", Value: c.Key.APIKey, Style: cs.Secret})
	return ui.Card{Title: c.Title, Fields: fs, Warning: SecretWarning, Notes: c.Notes, Width: c.Width}.Render(cs)
}

// previousSummary says when the rotated key stops working.
func previousSummary(p *api.PreviousKey, now time.Time) string {
	if p.Status != api.StatusActive || !p.ExpiresAt.After(now) {
		return p.KeyID + " " + p.Status + " now"
	}
	return fmt.Sprintf("%s expires %s (%s)", p.KeyID, p.ExpiresAt.UTC().Format(time.RFC3339), ui.RelativeTime(p.ExpiresAt, now))
}

// summary is the one-line description of a new key printed on stderr when
// the secret alone goes to stdout.
func summary(verb string, k *api.Key) string {
	return fmt.Sprintf("%s key %s %q (%s, %s, expires %s)", verb, k.KeyID, ui.SingleLine(k.Name), k.Environment,
		ui.Plural(len(k.Permissions), "scope"), k.ExpiresAt.UTC().Format(time.RFC3339))
}

// rotationSummary says who performed a rotation: a person with a session, or
// a key rotating itself (which a leaked keys:rotate key would do).
func rotationSummary(r *api.Rotation) string {
	if r.By == api.RotatedByKey {
		return "by the key itself (" + r.KeyID + ")"
	}
	return "by a session"
}

// rotationStyle marks a rotation a key made of itself, so it stands out.
func rotationStyle(cs *ui.ColorScheme, r *api.Rotation) func(string) string {
	if r.By == api.RotatedByKey {
		return cs.Warning
	}
	return nil
}
