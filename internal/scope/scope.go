// Package scope is the catalog of permission scopes an API key can hold
// (docs/api.md#routes): the eight scopes Zupy documents plus keys:rotate.
package scope

import (
	"fmt"
	"slices"
	"strings"
)

// Scope is one permission with its description and the group the Zupy docs
// list it under.
type Scope struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Group       string `json:"group"`
}

// Catalog is every scope, in the order of the Zupy docs.
var Catalog = []Scope{
	{"customer:read", "Read customer profiles and data", "customer"},
	{"customer:write", "Create/update customer information", "customer"},
	{"loyalty:read", "Access loyalty program data", "loyalty"},
	{"loyalty:write", "Award/redeem points and rewards", "loyalty"},
	{"coupons:validate", "Validate coupon codes", "coupons"},
	{"coupons:redeem", "Redeem and use coupons", "coupons"},
	{"webhooks:manage", "Configure webhook endpoints", "administrative"},
	{"admin:read", "Administrative read access", "administrative"},
	{"keys:rotate", "Rotate this API key with the key itself (zupy keys rotate --self)", "keys"},
}

// Names returns the scope names in catalog order.
func Names() []string {
	out := make([]string, len(Catalog))
	for i, s := range Catalog {
		out[i] = s.Name
	}
	return out
}

// Valid reports whether name is in the catalog.
func Valid(name string) bool {
	for _, s := range Catalog {
		if s.Name == name {
			return true
		}
	}
	return false
}

// Error is the error of an invalid permission list.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

// Normalize validates a permission list: at least one, each from the catalog;
// surrounding spaces are trimmed, duplicates removed and order kept.
func Normalize(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !Valid(n) {
			if near := Closest(n); near != "" {
				return nil, &Error{fmt.Sprintf("unknown scope %q: did you mean %s? (run `zupy scopes` for the list)", n, near)}
			}
			return nil, &Error{fmt.Sprintf("unknown scope %q (run `zupy scopes` for the list)", n)}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, &Error{"at least one scope is required"}
	}
	return out, nil
}

// Closest is the catalog scope nearest to name (at most two edits away, or
// differing only in case), "" when none is that close.
func Closest(name string) string {
	best, bestD := "", 3
	for _, s := range Catalog {
		if strings.EqualFold(s.Name, name) {
			return s.Name
		}
		if d := editDistance(strings.ToLower(name), s.Name); d < bestD {
			best, bestD = s.Name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes (scope
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Split parses a comma-separated scope list ("a,b, c").
func Split(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Has reports whether held grants want.
func Has(held []string, want string) bool { return slices.Contains(held, want) }
