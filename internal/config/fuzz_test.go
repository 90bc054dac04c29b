package config

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// FuzzLoad feeds any bytes to the config loader as config.yaml: it loads or
// says why, naming the file; what it loads has version 1 and only known
// keys, and saving it then loading it again gives the same profiles.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"version: 1\nprofiles:\n  default:\n    base_url: http://127.0.0.1:8080/v1\n    credential_store: file\n",
		"version: 1\nprofiles:\n  staging: {}\n  prod:\n    default_key_id: key_abcdefghijkl\n",
		"version: 2\n",
		"version: 1\nprofiles:\n  default:\n    colour: red\n",
		"profiles: [1, 2]\n",
		"version: one\n",
		"version: 1\nprofiles:\n  Prod.eu:\n    base_url: x\n",
		"{{{\n",
		"version: 1\nprofiles:\n  a: &x {base_url: y}\n  b: *x\n",
		"\xff\xfe",
		"",
		"---\n---\n",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("Load(%q) error %q does not name the file", data, err)
			}
			return
		}
		if cfg.Version != 1 || cfg.Profiles == nil {
			t.Fatalf("Load(%q) = version %d, profiles %v", data, cfg.Version, cfg.Profiles)
		}
		for name, p := range cfg.Profiles {
			for k := range p {
				if _, ok := Lookup(k); !ok {
					t.Fatalf("Load(%q): profile %q holds the unknown key %q", data, name, k)
				}
			}
		}
		if err := cfg.Save(); err != nil {
			t.Fatalf("Load(%q) then Save: %v", data, err)
		}
		again, err := Load(path)
		if err != nil {
			saved, _ := os.ReadFile(path)
			t.Fatalf("Load(%q) then Save wrote %q, which does not load: %v", data, saved, err)
		}
		if !maps.EqualFunc(cfg.Profiles, again.Profiles, maps.Equal) {
			t.Fatalf("Load(%q) = %v; saved and loaded again: %v", data, cfg.Profiles, again.Profiles)
		}
	})
}

// FuzzValidProfileName checks the hand-written profile name check against
// the regexp it replaced.
func FuzzValidProfileName(f *testing.F) {
	for _, seed := range []string{"default", "prod-eu_2", "-x", "_x", "", "A", "a/b", strings.Repeat("a", 64), strings.Repeat("a", 65), "é", "a\n"} {
		f.Add(seed)
	}
	re := regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validProfileName(s), re.MatchString(s); got != want {
			t.Fatalf("validProfileName(%q) = %v, the regexp says %v", s, got, want)
		}
		if err := ValidateProfile(s); (err == nil) != re.MatchString(s) {
			t.Fatalf("ValidateProfile(%q) = %v", s, err)
		}
	})
}
