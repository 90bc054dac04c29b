package ui

import "testing"

func TestInCIIsAnyValueButEmptyFalseOrZero(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "FALSE": false, "0": false, " ": false,
		"true": true, "1": true, "yes": true, "gitlab": true} {
		if got := InCI(func(k string) string { return map[string]string{"CI": v}[k] }); got != want {
			t.Errorf("CI=%q: InCI = %v; want %v", v, got, want)
		}
	}
}
