package scan

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/zupy/zupy-cli/internal/apikey"
)

// Secret is a secret found. It formats, marshals and prints only in its
// masked form (docs/security-model.md), so no output path can show it whole by accident;
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
	Path   string // slash-separated as shown, secrets in it masked; "-" for standard input
	Line   int    // 1-based; 0 for a secret in the path itself (a file or folder name)
	Column int    // 1-based, in Unicode code points (of the path, when Line is 0)
	Kind   Kind
	Secret Secret
	Commit string // with history scans: the first commit holding the secret
	blob   string // with history scans: the blob it was read from
	rank   int64  // with history scans: the commit's place, oldest first
}

// newFinding is the finding of hit h in the file at path: the one place a
// Finding is made, so the one place its path is masked (a secret used as a
// file or folder name never prints whole, in any format).
func newFinding(path string, h hit) Finding {
	return Finding{Path: MaskPath(path), Line: h.line, Column: h.column, Kind: h.kind, Secret: NewSecret(h.secret)}
}

// EndColumn is the column just after the secret (secrets are ASCII).
func (f Finding) EndColumn() int { return f.Column + len(f.Secret.value) }

// Sort orders findings by path, line and column, then (two versions of one
// file in a history scan) by commit, oldest first, and by secret, so output
// is the same whatever order parallel workers finished in.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.rank, b.rank), cmp.Compare(a.Secret.value, b.Secret.value))
	})
}

// InPath reports whether the secret is in the file or folder name (Path)
// rather than in the file.
func (f Finding) InPath() bool { return f.Line == 0 }

// MaskPath is p with every secret in it masked, so that a secret used as a
// file or folder name is never printed whole. It masks any text: paths, and
// the messages of errors that hold them.
func MaskPath(p string) string {
	var b strings.Builder
	last := 0
	findSecrets([]byte(p), func(start, end int, _ Kind) {
		b.WriteString(p[last:start])
		b.WriteString(NewSecret(p[start:end]).String())
		last = end
	})
	if last == 0 {
		return p
	}
	b.WriteString(p[last:])
	return b.String()
}

// pathFindings are the secrets in the slash-separated path p itself: one
// finding at line 0 for each, whose Path is p up to the end of the file or
// folder name holding it and whose Column is where it starts there.
func pathFindings(p, commit string) []Finding {
	var out []Finding
	findSecrets([]byte(p), func(start, end int, kind Kind) {
		name := p
		if i := strings.IndexByte(p[end:], '/'); i >= 0 {
			name = p[:end+i]
		}
		f := newFinding(name, hit{column: utf8.RuneCountInString(p[:start]) + 1, kind: kind, secret: p[start:end]})
		f.Commit = commit
		out = append(out, f)
	})
	return out
}

// withPathFindings adds to findings those of the secrets in paths, each
// file or folder name reported once.
func withPathFindings(findings []Finding, paths []string, commitOf func(path string) string) []Finding {
	seen := map[string]bool{}
	for _, p := range paths {
		if !strings.Contains(p, "zup_") {
			continue
		}
		for _, f := range pathFindings(p, "") {
			key := f.Path + "\x00" + f.Secret.value
			if seen[key] {
				continue
			}
			seen[key] = true
			if commitOf != nil {
				f.Commit = commitOf(p)
			}
			findings = append(findings, f)
		}
	}
	return findings
}

// maskedError is an error whose message has its secrets masked: the
// warnings and errors of a scan name paths, and a path may hold a secret.
type maskedError struct{ err error }

func (e maskedError) Error() string { return MaskPath(e.err.Error()) }
func (e maskedError) Unwrap() error { return e.err }

// maskError masks the secrets in err's message, keeping what it wraps; an
// error whose message holds no secret is returned as it is.
func maskError(err error) error {
	if err == nil || MaskPath(err.Error()) == err.Error() {
		return err
	}
	return maskedError{err}
}
