package scan

import (
	"cmp"
	"slices"

	"github.com/zupy/zupy-cli/internal/apikey"
)

// Secret is a secret found. It formats, marshals and prints only in its
// masked form (SPEC §3), so no output path can show it whole by accident;
// Reveal is the one way to the value, for verification.
type Secret struct{ value string }

// NewSecret wraps a secret value.
func NewSecret(value string) Secret { return Secret{value} }

// Reveal returns the whole secret.
func (s Secret) Reveal() string { return s.value }

// String is the masked secret: zup_live_sk_…9i0j.
func (s Secret) String() string { return apikey.Mask(s.value) }

// GoString keeps %#v masked too.
func (s Secret) GoString() string { return s.String() }

// MarshalText marshals the masked secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one secret at one place.
type Finding struct {
	Path   string // slash-separated as shown; "-" for standard input
	Line   int    // 1-based
	Column int    // 1-based, in Unicode code points
	Kind   Kind
	Secret Secret
	Commit string // with history scans: the first commit holding the secret
	blob   string // with history scans: the blob it was read from
	rank   int64  // with history scans: the commit's place, oldest first
}

// EndColumn is the column just after the secret (secrets are ASCII).
func (f Finding) EndColumn() int { return f.Column + len(f.Secret.value) }

// Sort orders findings by path, line and column, so output is stable
// whatever order parallel workers finished in.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}
