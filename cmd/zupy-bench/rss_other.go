//go:build !unix

package main

import "os"

// maxRSS is 0 where the system does not report a process's peak resident
// set through os.ProcessState (Windows): the benchmark then shows no RSS.
func maxRSS(st *os.ProcessState) int64 { return 0 }
