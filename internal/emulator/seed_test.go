package emulator

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestReopenWithOtherPartnerSettingsWarns: the demo partner is seeded once;
// starting again on the same data directory with --partner-* settings that
// differ keeps the stored partner and says so instead of ignoring them.
func TestReopenWithOtherPartnerSettingsWarns(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) string {
		var logs bytes.Buffer
		s, err := Open(context.Background(), Config{DataDir: dir, PartnerName: name,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return logs.String()
	}
	if logs := open("Demo Partner"); strings.Contains(logs, "partner settings ignored") {
		t.Fatalf("first start warned: %s", logs)
	}
	if logs := open("Demo Partner"); strings.Contains(logs, "partner settings ignored") {
		t.Fatalf("same settings warned: %s", logs)
	}
	logs := open("Another Name")
	if !strings.Contains(logs, "partner settings ignored") || !strings.Contains(logs, `name="Demo Partner"`) {
		t.Fatalf("other settings did not warn: %s", logs)
	}
	if strings.Contains(logs, "dev@example.com") || strings.Contains(logs, "+5511999990000") {
		t.Fatalf("the warning shows contacts unmasked: %s", logs)
	}
}
