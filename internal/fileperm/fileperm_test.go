package fileperm

import "testing"

// TestQuoteMakesAPastableCommand: a hint's path pastes into a shell as is.
func TestQuoteMakesAPastableCommand(t *testing.T) {
	for in, want := range map[string]string{
		"/home/ana/.config/zupy":      "/home/ana/.config/zupy",
		"/tmp/my dir/config.yaml":     "'/tmp/my dir/config.yaml'",
		"/tmp/it's/config.yaml":       `'/tmp/it'\''s/config.yaml'`,
		"/tmp/$(touch x)/config.yaml": "'/tmp/$(touch x)/config.yaml'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
