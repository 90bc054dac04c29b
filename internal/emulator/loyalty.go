package emulator

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/ratelimit"
)

// loyaltyProgram is the demo program of GET /loyalty/program. Zupy documents
// the route but not its schema; this is a plausible model of "points
// conversion rates and tier information".
type loyaltyProgram struct {
	ProgramID        string        `json:"program_id"`
	Name             string        `json:"name"`
	Currency         string        `json:"currency"`
	PointsPerUnit    int           `json:"points_per_currency_unit"`
	PointValue       float64       `json:"point_value"`
	MinimumRedeem    int           `json:"minimum_points_to_redeem"`
	PointsExpireDays int           `json:"points_expire_after_days"`
	Tiers            []loyaltyTier `json:"tiers"`
	Environment      string        `json:"environment"`
}

type loyaltyTier struct {
	Name       string  `json:"name"`
	MinPoints  int     `json:"min_points"`
	Multiplier float64 `json:"multiplier"`
}

var demoTiers = []loyaltyTier{{"Bronze", 0, 1}, {"Silver", 1000, 1.25}, {"Gold", 5000, 1.5}, {"Diamond", 20000, 2}}

// handleLoyaltyProgram is GET /loyalty/program (scope loyalty:read).
func (s *Server) handleLoyaltyProgram(w http.ResponseWriter, r *http.Request, k *cachedKey, _ ratelimit.Decision) error {
	name := s.cfg.PartnerName
	if p, err := s.store.PartnerByID(r.Context(), k.PartnerID); err == nil {
		name = p.Name
	}
	writeJSON(w, http.StatusOK, loyaltyProgram{
		ProgramID: "prg_demo", Name: name + " Rewards", Currency: "BRL", PointsPerUnit: 1, PointValue: 0.05,
		MinimumRedeem: 100, PointsExpireDays: 365, Environment: k.Environment, Tiers: demoTiers,
	})
	return nil
}

// customer is a demo loyalty member (docs/api.md "Loyalty routes"). Zupy
// documents the routes and member ids shaped like ZP-4F95FB0A, not the
// schema; this is the emulator's model.
type customer struct {
	MemberID      string `json:"member_id"`
	Name          string `json:"name"`
	WhatsApp      string `json:"whatsapp,omitempty"`
	Email         string `json:"email,omitempty"`
	CPF           string `json:"cpf,omitempty"`
	CustomerCode  string `json:"customer_code,omitempty"`
	PointsBalance int64  `json:"points_balance"`
	Tier          string `json:"tier"`
}

// maxCustomers bounds the members a partner can create in the emulator's
// memory, so API-key traffic cannot grow it without bound; past it the
// oldest created member is forgotten (the seeded ones stay).
const maxCustomers = 1000

// loyaltyData is the demo members of each partner, in memory only: they are
// sample data for the routes' scopes, not state worth keeping. A reset
// brings back the seed.
type loyaltyData struct {
	mu        sync.Mutex
	byPartner map[string][]*customer
	next      uint32
}

func newLoyaltyData() *loyaltyData { return &loyaltyData{byPartner: map[string][]*customer{}} }

func demoCustomers() []*customer {
	return []*customer{
		{MemberID: "ZP-4F95FB0A", Name: "Ana Souza", WhatsApp: "+5511988880001", Email: "ana@example.com", CPF: "12345678909", CustomerCode: "C-1001", PointsBalance: 1250},
		{MemberID: "ZP-7C21D9E3", Name: "Bruno Lima", WhatsApp: "+5511988880002", Email: "bruno@example.com", CustomerCode: "C-1002", PointsBalance: 320},
		{MemberID: "ZP-A1B2C3D4", Name: "Carla Dias", WhatsApp: "+5521977770003", Email: "carla@example.com", CustomerCode: "C-1003", PointsBalance: 6400},
	}
}

// of returns the partner's members, seeding them on first use; callers hold mu.
func (d *loyaltyData) of(partnerID string) []*customer {
	c, ok := d.byPartner[partnerID]
	if !ok {
		c = demoCustomers()
		d.byPartner[partnerID] = c
	}
	return c
}

func (d *loyaltyData) reset() {
	d.mu.Lock()
	d.byPartner = map[string][]*customer{}
	d.mu.Unlock()
}

func tierOf(points int64) string {
	t := demoTiers[0].Name
	for _, tier := range demoTiers {
		if points >= int64(tier.MinPoints) {
			t = tier.Name
		}
	}
	return t
}

// view is c as answered, its tier from its balance.
func (c *customer) view() customer {
	v := *c
	v.Tier = tierOf(c.PointsBalance)
	return v
}

// searchFields are the query parameters of GET /loyalty/customers/search, as
// Zupy's endpoint list names them.
var searchFields = []string{"whatsapp", "q", "phone", "email", "cpf", "customer_code"}

// handleCustomerSearch is GET /loyalty/customers/search (scope
// customer:read): the members matching every parameter given.
func (s *Server) handleCustomerSearch(w http.ResponseWriter, r *http.Request, k *cachedKey, _ ratelimit.Decision) error {
	q, err := parseQuery(r, append([]string{"permission"}, searchFields...)...)
	if err != nil {
		return err
	}
	for name := range q {
		if name != "permission" && !slices.Contains(searchFields, name) {
			return validation(name, "is not a search parameter (whatsapp, q, phone, email, cpf, customer_code)")
		}
	}
	given := false
	for _, f := range searchFields {
		given = given || q.Get(f) != ""
	}
	if !given {
		return validation("query", "give one of whatsapp, q, phone, email, cpf or customer_code")
	}
	phone := firstNonEmpty(q.Get("whatsapp"), q.Get("phone"))
	if phone != "" {
		n, err := contact.NormalizeWhatsApp(phone)
		if err != nil {
			field := "whatsapp"
			if q.Get("whatsapp") == "" {
				field = "phone"
			}
			return validation(field, err.Error())
		}
		phone = n
	}
	s.loyalty.mu.Lock()
	var found []customer
	for _, c := range s.loyalty.of(k.PartnerID) {
		if phone != "" && c.WhatsApp != phone ||
			q.Get("email") != "" && !strings.EqualFold(c.Email, strings.TrimSpace(q.Get("email"))) ||
			q.Get("cpf") != "" && c.CPF != digitsOnly(q.Get("cpf")) ||
			q.Get("customer_code") != "" && c.CustomerCode != q.Get("customer_code") ||
			q.Get("q") != "" && !strings.Contains(strings.ToLower(c.Name), strings.ToLower(q.Get("q"))) {
			continue
		}
		found = append(found, c.view())
	}
	s.loyalty.mu.Unlock()
	if found == nil {
		found = []customer{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": found})
	return nil
}

type customerBody struct {
	Name         *string `json:"name"`
	WhatsApp     *string `json:"whatsapp"`
	Email        *string `json:"email"`
	CPF          *string `json:"cpf"`
	CustomerCode *string `json:"customer_code"`
}

// handleCreateCustomer is POST /loyalty/customers (scope customer:write).
func (s *Server) handleCreateCustomer(w http.ResponseWriter, r *http.Request, k *cachedKey, _ ratelimit.Decision) error {
	var b customerBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	c := &customer{}
	if b.Name == nil || strings.TrimSpace(*b.Name) == "" {
		return validation("name", "is required")
	}
	if c.Name = strings.TrimSpace(*b.Name); len(c.Name) > 100 {
		return validation("name", "must be at most 100 characters")
	}
	if b.WhatsApp == nil && b.Email == nil {
		return validation("whatsapp", "whatsapp or email is required")
	}
	if b.WhatsApp != nil {
		n, err := contact.NormalizeWhatsApp(*b.WhatsApp)
		if err != nil {
			return validation("whatsapp", err.Error())
		}
		c.WhatsApp = n
	}
	if b.Email != nil {
		n, err := contact.NormalizeEmail(*b.Email)
		if err != nil {
			return validation("email", err.Error())
		}
		c.Email = n
	}
	if b.CPF != nil {
		if c.CPF = digitsOnly(*b.CPF); len(c.CPF) != 11 {
			return validation("cpf", "must have 11 digits")
		}
	}
	if b.CustomerCode != nil {
		if c.CustomerCode = strings.TrimSpace(*b.CustomerCode); len(c.CustomerCode) > 64 {
			return validation("customer_code", "must be at most 64 characters")
		}
	}
	d := s.loyalty
	d.mu.Lock()
	defer d.mu.Unlock()
	list := d.of(k.PartnerID)
	d.next++
	c.MemberID = fmt.Sprintf("ZP-%08X", 0xE0000000+d.next)
	if len(list) >= maxCustomers+len(demoCustomers()) {
		seeded := len(demoCustomers())
		list = append(list[:seeded], list[seeded+1:]...)
	}
	d.byPartner[k.PartnerID] = append(list, c)
	writeJSON(w, http.StatusCreated, c.view())
	return nil
}

type couponBody struct {
	CouponCode *string      `json:"coupon_code"`
	Order      *couponOrder `json:"order"`
}

// couponOrder is the order a coupon is checked against; Zupy's sample
// client sends it unspecified, the emulator reads its total.
type couponOrder struct {
	Total *float64 `json:"total"`
}

// demoCoupons are the coupons GET /loyalty/validate-coupon knows: percent
// off, with a minimum order total.
var demoCoupons = map[string]struct {
	percent  float64
	minTotal float64
}{"WELCOME10": {10, 0}, "VIP20": {20, 100}}

// handleValidateCoupon is POST /loyalty/validate-coupon (scope
// coupons:validate): whether the coupon applies to the order, and its
// discount.
func (s *Server) handleValidateCoupon(w http.ResponseWriter, r *http.Request, _ *cachedKey, _ ratelimit.Decision) error {
	var b couponBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.CouponCode == nil || strings.TrimSpace(*b.CouponCode) == "" {
		return validation("coupon_code", "is required")
	}
	code := strings.ToUpper(strings.TrimSpace(*b.CouponCode))
	total := 0.0
	if b.Order != nil && b.Order.Total != nil {
		if total = *b.Order.Total; total < 0 || math.IsInf(total, 0) {
			return validation("total", "must be a non-negative amount")
		}
	}
	out := map[string]any{"coupon_code": code, "valid": false}
	c, ok := demoCoupons[code]
	switch {
	case !ok:
		out["reason"] = "coupon not found"
	case total < c.minTotal:
		out["reason"] = fmt.Sprintf("order total below the minimum of %.2f", c.minTotal)
	default:
		out["valid"] = true
		out["discount_type"] = "percent"
		out["discount_value"] = c.percent
		out["discount_amount"] = math.Round(total*c.percent) / 100
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type pointsBody struct {
	MemberID *string `json:"member_id"`
	Points   *int64  `json:"points"`
	Reason   *string `json:"reason"`
}

// maxPointsAdd bounds one award.
const maxPointsAdd = 1_000_000

// handleAddPoints is POST /loyalty/points/add (scope loyalty:write).
func (s *Server) handleAddPoints(w http.ResponseWriter, r *http.Request, k *cachedKey, _ ratelimit.Decision) error {
	var b pointsBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.MemberID == nil || *b.MemberID == "" {
		return validation("member_id", "is required")
	}
	if b.Points == nil || *b.Points < 1 || *b.Points > maxPointsAdd {
		return validation("points", fmt.Sprintf("must be a whole number from 1 to %d", maxPointsAdd))
	}
	if b.Reason != nil && len(*b.Reason) > 200 {
		return validation("reason", "must be at most 200 characters")
	}
	d := s.loyalty
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.of(k.PartnerID) {
		if c.MemberID == *b.MemberID {
			c.PointsBalance += *b.Points
			v := c.view()
			writeJSON(w, http.StatusOK, map[string]any{"member_id": c.MemberID, "points_added": *b.Points,
				"points_balance": v.PointsBalance, "tier": v.Tier})
			return nil
		}
	}
	return errCustomerNotFound
}

// handleListWebhooks is GET /webhooks (scope webhooks:manage). Zupy
// configures webhooks in its admin panel, with no endpoint; the emulator's
// own route answers an empty list so the scope has a use.
func (s *Server) handleListWebhooks(w http.ResponseWriter, _ *http.Request, _ *cachedKey, _ ratelimit.Decision) error {
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{}})
	return nil
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
