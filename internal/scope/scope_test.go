package scope

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCatalogHasTheNineScopesOfTheSpecInOrder(t *testing.T) {
	want := []string{
		"customer:read", "customer:write", "loyalty:read", "loyalty:write",
		"coupons:validate", "coupons:redeem", "webhooks:manage", "admin:read", "keys:rotate",
	}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %q, want %q", got, want)
	}
	if len(Catalog) != 9 {
		t.Fatalf("len(Catalog) = %d, want 9", len(Catalog))
	}
}

func TestCatalogEntriesAreUniqueAndDescribed(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Catalog {
		if seen[s.Name] {
			t.Errorf("scope %q listed twice", s.Name)
		}
		seen[s.Name] = true
		if strings.TrimSpace(s.Description) == "" {
			t.Errorf("scope %q has no description", s.Name)
		}
		if strings.TrimSpace(s.Group) == "" {
			t.Errorf("scope %q has no group", s.Name)
		}
		if s.Name != strings.TrimSpace(s.Name) || strings.ContainsAny(s.Name, ", ") {
			t.Errorf("scope name %q would not survive Split and Normalize", s.Name)
		}
	}
}

func TestCatalogGroups(t *testing.T) {
	want := map[string]string{
		"customer:read": "customer", "customer:write": "customer",
		"loyalty:read": "loyalty", "loyalty:write": "loyalty",
		"coupons:validate": "coupons", "coupons:redeem": "coupons",
		"webhooks:manage": "administrative", "admin:read": "administrative",
		"keys:rotate": "keys",
	}
	for _, s := range Catalog {
		if s.Group != want[s.Name] {
			t.Errorf("group of %q = %q, want %q", s.Name, s.Group, want[s.Name])
		}
	}
}

func TestNamesReturnsACopy(t *testing.T) {
	n := Names()
	n[0] = "mutated"
	if Catalog[0].Name != "customer:read" {
		t.Fatal("changing the result of Names changed the catalog")
	}
}

func TestValid(t *testing.T) {
	for _, s := range Catalog {
		if !Valid(s.Name) {
			t.Errorf("Valid(%q) = false", s.Name)
		}
	}
	for _, bad := range []string{"", "customer", "customer:delete", "Customer:Read", " customer:read", "customer:read ", "*", "admin:write"} {
		if Valid(bad) {
			t.Errorf("Valid(%q) = true, want false", bad)
		}
	}
}

func TestNormalizeTrimsDedupsAndKeepsOrder(t *testing.T) {
	got, err := Normalize([]string{" loyalty:write", "customer:read ", "loyalty:write", "\tcustomer:read", "keys:rotate"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"loyalty:write", "customer:read", "keys:rotate"}
	if !slices.Equal(got, want) {
		t.Errorf("Normalize = %q, want %q", got, want)
	}
}

func TestNormalizeSkipsBlankEntries(t *testing.T) {
	got, err := Normalize(Split("customer:read,, ,loyalty:read,"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"customer:read", "loyalty:read"}; !slices.Equal(got, want) {
		t.Errorf("Normalize = %q, want %q", got, want)
	}
}

func TestNormalizeRefusesUnknownScopeNamingIt(t *testing.T) {
	got, err := Normalize([]string{"customer:read", "customer:delete", "nope"})
	if got != nil {
		t.Errorf("Normalize returned %q with its error", got)
	}
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("Normalize error = %v (%T), want *scope.Error", err, err)
	}
	if !strings.Contains(se.Error(), `"customer:delete"`) {
		t.Errorf("error %q does not name the unknown scope", se)
	}
	if !strings.Contains(se.Error(), "zupy scopes") {
		t.Errorf("error %q does not say where the list is", se)
	}
}

func TestNormalizeRefusesEmptyList(t *testing.T) {
	for _, in := range [][]string{nil, {}, {""}, {" ", "\t"}} {
		got, err := Normalize(in)
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(se.Message, "at least one scope") {
			t.Errorf("Normalize(%q) = %q, %v; want an at-least-one error", in, got, err)
		}
	}
}

func TestNormalizeAcceptsTheWholeCatalog(t *testing.T) {
	got, err := Normalize(Names())
	if err != nil || !slices.Equal(got, Names()) {
		t.Errorf("Normalize(Names()) = %q, %v", got, err)
	}
}

func TestSplit(t *testing.T) {
	tests := map[string][]string{
		"":               nil,
		"   ":            nil,
		"a":              {"a"},
		"a,b, c":         {"a", "b", " c"},
		"customer:read,": {"customer:read", ""},
		",loyalty:read":  {"", "loyalty:read"},
		"a,,b":           {"a", "", "b"},
	}
	for in, want := range tests {
		if got := Split(in); !slices.Equal(got, want) || (want == nil) != (got == nil) {
			t.Errorf("Split(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHas(t *testing.T) {
	held := []string{"customer:read", "keys:rotate"}
	if !Has(held, "customer:read") || !Has(held, "keys:rotate") {
		t.Error("Has misses a held scope")
	}
	for _, want := range []string{"customer:write", "customer", "", "Customer:Read", "keys:rotate "} {
		if Has(held, want) {
			t.Errorf("Has(%q, %q) = true", held, want)
		}
	}
	if Has(nil, "customer:read") {
		t.Error("Has(nil) = true")
	}
}

func TestUnknownScopeSuggestsTheClosest(t *testing.T) {
	for in, want := range map[string]string{"loyalty:reed": "loyalty:read", "Loyalty:Read": "loyalty:read", "coupon:redeem": "coupons:redeem", "keys:rotat": "keys:rotate", "payments:write": ""} {
		if got := Closest(in); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
	_, err := Normalize([]string{"loyalty:reed"})
	if err == nil || !strings.Contains(err.Error(), `unknown scope "loyalty:reed": did you mean loyalty:read?`) {
		t.Errorf("Normalize error = %v", err)
	}
}
