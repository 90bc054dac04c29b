// Command zupy-docgen regenerates docs/cli, docs/man and completions/ from
// the command tree (`make docs completions`).
package main

import (
	"fmt"
	"os"

	"github.com/zupy/zupy-cli/internal/docgen"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := docgen.Generate(dir); err != nil {
		fmt.Fprintln(os.Stderr, "zupy-docgen:", err)
		os.Exit(1)
	}
}
