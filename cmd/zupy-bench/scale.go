package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/emulator/store"
)

const (
	scaleKeys = 10_000
	scaleRuns = 3 // each command, median; the session's 120 requests a minute allow it
	goalScale = time.Second
)

// scale measures, end to end with the real CLI against the real emulator,
// `zupy keys list --all` over 10,000 keys and `zupy keys usage --since 30d`
// for a key with 30 days of traffic (a request every minute, rolled up as
// the retention would have: minute buckets for the last 48 hours, hours
// before). The rows are written straight to the store of a data directory
// before the emulator starts on it.
func scale(r *report, work, zupy string) {
	dir := filepath.Join(work, "scale-data")
	seedStart := time.Now()
	var busy string
	_, session := seedKeys(dir, scaleKeys, func(ctx context.Context, tx *store.Tx, ids []string, now time.Time) error {
		busy = ids[len(ids)-1] // the newest
		var minutes []store.UsageMinute
		for t := now.Add(-30 * 24 * time.Hour).Truncate(time.Minute); t.Before(now); t = t.Add(time.Minute) {
			minutes = append(minutes, store.UsageMinute{KeyID: busy, Start: t,
				Counts: store.UsageCounts{Requests: 3, OK: 2, RateLimited: 1}, Scopes: map[string]int64{"loyalty:read": 2}})
		}
		if err := tx.AddUsageStats(ctx, minutes, nil); err != nil {
			return err
		}
		return tx.RollUpUsage(ctx, now)
	})
	seeded := time.Since(seedStart)

	urlFile := filepath.Join(work, "scale.url")
	emu := startProc("zupy emulator (scale)", urlFile, filepath.Join(work, "scale.log"),
		zupy, "emulator", "start", "--data-dir", dir, "--addr", "127.0.0.1:0", "--url-file", urlFile, "--no-ui")
	defer emu.stop()

	home := filepath.Join(work, "scale-home")
	must(os.MkdirAll(home, 0o700))
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "ZUPY_CONFIG_DIR=" + filepath.Join(home, "config"), "NO_COLOR=1",
		"ZUPY_BASE_URL=" + emu.base + "/v1", "ZUPY_SESSION_TOKEN=" + session}
	// run times argv (stdout a pipe, as a script has it) and checks what
	// it printed.
	run := func(check func(out []byte) error, args ...string) time.Duration {
		var times []time.Duration
		for range scaleRuns {
			cmd := exec.Command(zupy, args...)
			cmd.Env = env
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			start := time.Now()
			err := cmd.Run()
			times = append(times, time.Since(start))
			if err != nil {
				fatalf("zupy %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
			}
			if err := check(out.Bytes()); err != nil {
				fatalf("zupy %s: %v", strings.Join(args, " "), err)
			}
		}
		return median(times)
	}
	load := loadavg()
	list := run(func(out []byte) error {
		if n := bytes.Count(out, []byte("\n")); n < scaleKeys {
			return fmt.Errorf("printed %d lines, want a row for each of %d keys", n, scaleKeys)
		}
		return nil
	}, "keys", "list", "--all")
	usage := run(func(out []byte) error {
		if !bytes.Contains(out, []byte(busy)) {
			return fmt.Errorf("the key's id is not in what it printed")
		}
		return nil
	}, "keys", "usage", busy, "--since", "30d", "-o", "json")
	loadEnd := loadavg()

	v1 := r.goal("keys list --all over 10,000 keys", list < goalScale, "%s (goal < %s)", list.Round(time.Millisecond), goalScale)
	v2 := r.goal("keys usage --since 30d", usage < goalScale, "%s (goal < %s)", usage.Round(time.Millisecond), goalScale)
	r.printf("scale, the real CLI against the real emulator, median of %d runs (load %s → %s; seeding took %s):\n", scaleRuns, load, loadEnd, seeded.Round(time.Millisecond))
	r.printf("  zupy keys list --all over %d keys: %s\n", scaleKeys, v1)
	r.printf("  zupy keys usage KEY --since 30d -o json (30 days of traffic): %s\n", v2)
	r.mdf("\n## Scale: the CLI against the emulator\n\n")
	r.mdf("End to end, each a fresh `zupy` process (stdout a pipe) against `zupy emulator start` on a data directory\n")
	r.mdf("seeded through the store before it starts: %d keys, and for the newest one 30 days of traffic (3\n", scaleKeys)
	r.mdf("requests every minute, rolled up as the retention does: minute buckets for the last 48 hours, hour\n")
	r.mdf("buckets before). Median of %d runs each; load average %s at the start, %s at the end. Goal: each\n", scaleRuns, load, loadEnd)
	r.mdf("under %s.\n\n", goalScale)
	r.mdf("| command | median | |\n|---|---:|---|\n")
	r.mdf("| `zupy keys list --all` (%d keys, pages of 1000) | %s | %s |\n", scaleKeys, list.Round(time.Millisecond), tail(v1))
	r.mdf("| `zupy keys usage KEY --since 30d -o json` | %s | %s |\n", usage.Round(time.Millisecond), tail(v2))
}
