package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/zupy/zupy-cli/internal/scope"
	"github.com/zupy/zupy-cli/internal/wire"
)

// Issue 11.3: scope edits were a GET then a PATCH of the whole list, so 8
// parallel --add-scope runs left 3–5 of 9 scopes. add_permissions is applied
// to the current list inside the transaction that writes it.
func TestParallelScopeAddsAllLand(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	all := scope.Names()
	k := h.createKey(sess, map[string]any{"permissions": all[:1]})
	var wg sync.WaitGroup
	status := make([]int, len(all)-1)
	for i, sc := range all[1:] {
		wg.Go(func() {
			status[i] = h.request("PATCH", "/v1/api-keys/"+k.KeyID, sess, wire.UpdateKeyRequest{AddPermissions: []string{sc}}).status
		})
	}
	wg.Wait()
	for i, st := range status {
		if st != http.StatusOK {
			t.Fatalf("add %s: status %d", all[i+1], st)
		}
	}
	got := h.getKey(sess, k.KeyID).Permissions
	if len(got) != len(all) {
		t.Fatalf("after %d parallel adds the key holds %d scopes: %v", len(all)-1, len(got), got)
	}
	for _, sc := range all {
		if !slices.Contains(got, sc) {
			t.Fatalf("lost %s: %v", sc, got)
		}
	}
}

func TestAddAndRemovePermissions(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"permissions": []string{"loyalty:read", "customer:read"}})
	patch := func(body any) resp { return h.request("PATCH", "/v1/api-keys/"+k.KeyID, sess, body) }

	r := patch(map[string]any{"add_permissions": []string{"customer:read", "coupons:redeem"}, "remove_permissions": []string{"loyalty:read"}})
	expect(t, r, 200)
	var got wire.Key
	r.decode(t, &got)
	if fmt.Sprint(got.Permissions) != "[customer:read coupons:redeem]" {
		t.Fatalf("permissions %v", got.Permissions)
	}
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"add_permissions": []string{"loyalty:fly"}}, "add_permissions"},
		{map[string]any{"remove_permissions": []string{}}, "remove_permissions"},
		{map[string]any{"add_permissions": "loyalty:read"}, "add_permissions"},
		{map[string]any{"permissions": []string{"loyalty:read"}, "add_permissions": []string{"customer:read"}}, "add_permissions"},
		{map[string]any{"remove_permissions": []string{"customer:read", "coupons:redeem"}}, "remove_permissions"},
	} {
		e := expect(t, patch(c.body), 400, wire.CodeValidation)
		if e.Details[wire.DetailField] != c.field {
			t.Fatalf("%v: field %v, want %s", c.body, e.Details[wire.DetailField], c.field)
		}
	}
	if now := h.getKey(sess, k.KeyID).Permissions; fmt.Sprint(now) != "[customer:read coupons:redeem]" {
		t.Fatalf("a refused edit changed the key: %v", now)
	}
	// Creating a key takes a whole list only.
	e := expect(t, h.request("POST", "/v1/api-keys", sess, map[string]any{"name": "n", "permissions": []string{"loyalty:read"},
		"add_permissions": []string{"customer:read"}}), 400, wire.CodeValidation)
	if e.Details[wire.DetailField] != "add_permissions" {
		t.Fatalf("create with add_permissions: %v", e.Details)
	}
}
