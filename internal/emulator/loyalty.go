package emulator

import (
	"net/http"

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

// handleLoyaltyProgram is GET /loyalty/program (scope loyalty:read).
func (s *Server) handleLoyaltyProgram(w http.ResponseWriter, r *http.Request, k *cachedKey, _ ratelimit.Decision) error {
	name := s.cfg.PartnerName
	if p, err := s.store.PartnerByID(r.Context(), k.PartnerID); err == nil {
		name = p.Name
	}
	writeJSON(w, http.StatusOK, loyaltyProgram{
		ProgramID: "prg_demo", Name: name + " Rewards", Currency: "BRL", PointsPerUnit: 1, PointValue: 0.05,
		MinimumRedeem: 100, PointsExpireDays: 365, Environment: k.Environment,
		Tiers: []loyaltyTier{{"Bronze", 0, 1}, {"Silver", 1000, 1.25}, {"Gold", 5000, 1.5}, {"Diamond", 20000, 2}},
	})
	return nil
}
