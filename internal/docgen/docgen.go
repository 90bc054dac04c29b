// Package docgen writes the generated reference: Markdown pages (docs/cli),
// man pages (docs/man) and shell completion scripts (completions/). A test
// regenerates them into a temporary directory and fails when the committed
// copies are stale.
package docgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/root"
	"github.com/zupy/zupy-cli/internal/shellcomp"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Generate writes docs/cli, docs/man and completions/ under dir (the
// repository root), replacing what was there.
func Generate(dir string) error {
	cmd := newRoot()
	for _, sub := range []string{"docs/cli", "docs/man", "completions"} {
		p := filepath.Join(dir, sub)
		if err := os.RemoveAll(p); err != nil {
			return err
		}
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
	}
	if err := doc.GenMarkdownTree(cmd, filepath.Join(dir, "docs/cli")); err != nil {
		return fmt.Errorf("markdown: %w", err)
	}
	if err := writeManPages(cmd, filepath.Join(dir, "docs/man")); err != nil {
		return err
	}
	for shell, name := range map[string]string{"bash": "zupy.bash", "zsh": "_zupy", "fish": "zupy.fish", "powershell": "zupy.ps1"} {
		var b bytes.Buffer
		if err := shellcomp.Write(cmd, shell, &b); err != nil {
			return fmt.Errorf("completion %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "completions", name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// newRoot builds the command tree as users see it, with a neutral
// environment so that nothing local leaks into the pages.
func newRoot() *cobra.Command {
	var discard bytes.Buffer
	f := cmdutil.New(ui.Test(&discard, &discard, &discard), func(string) string { return "" })
	cmd := root.New(f)
	cmd.Version = ""
	cmd.DisableAutoGenTag = true
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(cmd)
	return cmd
}
