package cmdutil

import (
	"slices"
	"strings"
	"testing"
)

func TestCompleteScopeListIsCommaAware(t *testing.T) {
	for _, tt := range []struct {
		toComplete string
		want       []string
	}{
		{"loyalty:read,coupons:", []string{"loyalty:read,coupons:validate", "loyalty:read,coupons:redeem"}},
		{"loyalty:read,loy", []string{"loyalty:read,loyalty:write"}},
		// A scope already given is not offered again, spaces or not.
		{"loyalty:read, loy", []string{"loyalty:read,loyalty:write"}},
		{" loyalty:write ,loyalty:", []string{" loyalty:write ,loyalty:read"}},
	} {
		var names []string
		for _, c := range CompleteScopeList(tt.toComplete) {
			names = append(names, strings.SplitN(c, "\t", 2)[0])
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("CompleteScopeList(%q) = %q, want %q", tt.toComplete, names, tt.want)
		}
	}
	for _, c := range CompleteScopeList("loyalty:read,") {
		if strings.HasPrefix(c, "loyalty:read,loyalty:read") {
			t.Errorf("offered a scope already given: %q", c)
		}
	}
}
