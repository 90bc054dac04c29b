// Command zupy is the command-line tool of the Zupy loyalty platform.
package main

import (
	"os"

	"github.com/zupy/zupy-cli/internal/cli/root"
)

func main() { os.Exit(root.Main()) }
