package scan

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestWriteSARIF: one SARIF log whose results carry each verdict in the
// message and the key id and commit as properties.
func TestWriteSARIF(t *testing.T) {
	r, _ := reportFixture(t)
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
				Properties map[string]string `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(render(t, "sarif", r, false)), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 2 {
		t.Fatalf("log %+v", log)
	}
	first, second := log.Runs[0].Results[0], log.Runs[0].Results[1]
	if first.RuleID != "zupy/live-key" || !strings.HasSuffix(first.Message.Text, "(live)") ||
		first.Properties["key_id"] != "key_aaaaaaaaaaaa" || first.Properties["commit"] != "0123456789abcdef0123" {
		t.Errorf("first result %+v", first)
	}
	if !strings.HasSuffix(second.Message.Text, "(live (rate limited; scopes not read))") || second.Properties["key_id"] != "" {
		t.Errorf("second result %+v", second)
	}
}
