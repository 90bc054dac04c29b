package emulator

import (
	"net/http"
	"testing"

	"github.com/zupy/zupy-cli/internal/wire"
)

// Each loyalty route (docs/api.md "Loyalty routes") runs the verification
// pipeline with its own scope: a key lacking it gets 403 naming it, a key
// holding it gets the demo answer.
func TestLoyaltyRoutesCheckTheirScopes(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	routes := []struct {
		method, path, scope string
		body                any
		status              int
	}{
		{"GET", "/v1/loyalty/customers/search?whatsapp=%2B5511988880001", "customer:read", nil, 200},
		{"POST", "/v1/loyalty/customers", "customer:write", map[string]any{"name": "Dora", "email": "dora@example.com"}, 201},
		{"POST", "/v1/loyalty/validate-coupon", "coupons:validate", map[string]any{"coupon_code": "welcome10", "order": map[string]any{"total": 50}}, 200},
		{"POST", "/v1/loyalty/points/add", "loyalty:write", map[string]any{"member_id": "ZP-7C21D9E3", "points": 700}, 200},
		{"GET", "/v1/loyalty/program", "loyalty:read", nil, 200},
		{"GET", "/v1/webhooks", "webhooks:manage", nil, 200},
	}
	other := h.createKey(sess, map[string]any{"permissions": []string{"admin:read"}})
	for _, rt := range routes {
		t.Run(rt.scope, func(t *testing.T) {
			e := expect(t, h.request(rt.method, rt.path, other.APIKey, rt.body), http.StatusForbidden, wire.CodePermission)
			if e.Details[wire.DetailRequiredPermission] != rt.scope {
				t.Errorf("required_permission %v, want %s", e.Details[wire.DetailRequiredPermission], rt.scope)
			}
			k := h.createKey(sess, map[string]any{"permissions": []string{rt.scope}})
			expect(t, h.request(rt.method, rt.path, k.APIKey, rt.body), rt.status)
		})
	}
}

func TestLoyaltyRoutesAnswerOnDemoData(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"permissions": []string{"customer:read", "customer:write", "coupons:validate", "loyalty:write", "webhooks:manage"}})

	var found struct {
		Data []customer `json:"data"`
	}
	r := h.request("GET", "/v1/loyalty/customers/search?whatsapp=%2B55%2011%2098888-0001", k.APIKey, nil)
	expect(t, r, 200)
	r.decode(t, &found)
	if len(found.Data) != 1 || found.Data[0].MemberID != "ZP-4F95FB0A" || found.Data[0].Tier != "Silver" {
		t.Fatalf("search by whatsapp: %s", r.body)
	}

	var created customer
	r = h.request("POST", "/v1/loyalty/customers", k.APIKey, map[string]any{"name": "Dora Reis", "whatsapp": "+5511900000009"})
	expect(t, r, 201)
	r.decode(t, &created)
	r = h.request("GET", "/v1/loyalty/customers/search?q=dora", k.APIKey, nil)
	r.decode(t, &found)
	if len(found.Data) != 1 || found.Data[0].MemberID != created.MemberID {
		t.Fatalf("created member not found by name: %s", r.body)
	}

	var pts map[string]any
	r = h.request("POST", "/v1/loyalty/points/add", k.APIKey, map[string]any{"member_id": created.MemberID, "points": 1500})
	expect(t, r, 200)
	r.decode(t, &pts)
	if pts["points_balance"] != float64(1500) || pts["tier"] != "Silver" {
		t.Errorf("points add: %s", r.body)
	}
	expect(t, h.request("POST", "/v1/loyalty/points/add", k.APIKey, map[string]any{"member_id": "ZP-00000000", "points": 1}),
		404, wire.CodeNotFound, wire.MsgCustomerNotFound)

	var coupon map[string]any
	r = h.request("POST", "/v1/loyalty/validate-coupon", k.APIKey, map[string]any{"coupon_code": "VIP20", "order": map[string]any{"total": 250}})
	r.decode(t, &coupon)
	if coupon["valid"] != true || coupon["discount_amount"] != float64(50) {
		t.Errorf("VIP20 on 250: %s", r.body)
	}
	r = h.request("POST", "/v1/loyalty/validate-coupon", k.APIKey, map[string]any{"coupon_code": "NOPE"})
	r.decode(t, &coupon)
	if coupon["valid"] != false || coupon["reason"] != "coupon not found" {
		t.Errorf("unknown coupon: %s", r.body)
	}

	r = h.request("GET", "/v1/webhooks", k.APIKey, nil)
	if string(r.body) != "{\"data\":[]}\n" {
		t.Errorf("webhooks: %s", r.body)
	}

	// A reset brings the seed back.
	expect(t, h.request("POST", "/_emulator/reset", "", nil), http.StatusNoContent)
	sess = h.login()
	k = h.createKey(sess, map[string]any{"permissions": []string{"customer:read"}})
	r = h.request("GET", "/v1/loyalty/customers/search?q=dora", k.APIKey, nil)
	r.decode(t, &found)
	if len(found.Data) != 0 {
		t.Errorf("created member survived a reset: %s", r.body)
	}
}

func TestLoyaltyRoutesRefuseBadInputNamingTheField(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"permissions": []string{"customer:read", "customer:write", "coupons:validate", "loyalty:write"}})
	for _, c := range []struct {
		method, path string
		body         any
		field        string
	}{
		{"GET", "/v1/loyalty/customers/search", nil, "query"},
		{"GET", "/v1/loyalty/customers/search?name=x", nil, "name"},
		{"GET", "/v1/loyalty/customers/search?whatsapp=abc", nil, "whatsapp"},
		{"POST", "/v1/loyalty/customers", map[string]any{"email": "a@example.com"}, "name"},
		{"POST", "/v1/loyalty/customers", map[string]any{"name": "A"}, "whatsapp"},
		{"POST", "/v1/loyalty/customers", map[string]any{"name": "A", "email": "nope"}, "email"},
		{"POST", "/v1/loyalty/customers", map[string]any{"name": "A", "email": "a@example.com", "cpf": "123"}, "cpf"},
		{"POST", "/v1/loyalty/validate-coupon", map[string]any{}, "coupon_code"},
		{"POST", "/v1/loyalty/validate-coupon", map[string]any{"coupon_code": "X", "order": map[string]any{"total": -1}}, "total"},
		{"POST", "/v1/loyalty/points/add", map[string]any{"member_id": "ZP-4F95FB0A", "points": 0}, "points"},
		{"POST", "/v1/loyalty/points/add", map[string]any{"points": 5}, "member_id"},
		{"POST", "/v1/loyalty/points/add", map[string]any{"member_id": "ZP-4F95FB0A", "points": 5, "extra": 1}, "extra"},
	} {
		e := expect(t, h.request(c.method, c.path, k.APIKey, c.body), 400, wire.CodeValidation)
		if e.Details[wire.DetailField] != c.field {
			t.Errorf("%s %s %v: field %v, want %s", c.method, c.path, c.body, e.Details[wire.DetailField], c.field)
		}
	}
}
