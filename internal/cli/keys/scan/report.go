package scan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	zscan "github.com/zupy/zupy-cli/internal/scan"
	"github.com/zupy/zupy-cli/internal/ui"
)

// result is one finding with what --verify and --revoke learned about its
// secret (nil without --verify).
type result struct {
	zscan.Finding
	verdict *verdict
}

// report is what a run found, built once (newReport) and drawn by the
// writer of -o and by summarize.
type report struct {
	results []result
	stats   zscan.Stats
	// The run's mode, which decides the text table's columns and the
	// summary's wording.
	git, stdin, verify, revoke bool
	// profile is the --profile in use, named in the commands the summary
	// suggests.
	profile string
}

func newReport(o *ScanOptions, findings []zscan.Finding, verdicts map[string]*verdict, st zscan.Stats) *report {
	r := &report{stats: st, git: o.Git, stdin: o.Stdin, verify: o.Verify, revoke: o.Revoke, profile: o.Profile, results: make([]result, 0, len(findings))}
	for _, f := range findings {
		r.results = append(r.results, result{Finding: f, verdict: verdicts[f.Secret.Reveal()]})
	}
	return r
}

// writer draws a report in one output format. Each format is one file
// (text.go, json.go, sarif.go) that registers its writer; adding a format
// touches that file, its test and the docs.
type writer struct {
	name  string
	write func(io *ui.IOStreams, r *report) error
}

var writers = map[string]writer{}

func register(w writer) { writers[w.name] = w }

// outputs are the formats of -o: text (the default) first, then the others
// by name.
func outputs() []string {
	names := make([]string, 0, len(writers))
	for n := range writers {
		if n != "text" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return append([]string{"text"}, names...)
}

// writerOf is the writer of a format validate accepted.
func writerOf(name string) writer { return writers[name] }

// each is fn of every result, in order: the records of a writer that
// draws one per finding.
func each[T any](r *report, fn func(result) T) []T {
	out := make([]T, 0, len(r.results))
	for _, res := range r.results {
		out = append(out, fn(res))
	}
	return out
}

// statusText is a verdict's status, with its note ("live (rate limited;
// scopes not read)"), or "revoked" once --revoke revoked it.
func statusText(v *verdict) string {
	switch {
	case v.revoked:
		return "revoked"
	case v.note != "":
		return v.status + " (" + v.note + ")"
	}
	return v.status
}

// summarize writes one line about the scan on stderr and returns how many
// findings count toward the exit status: all of them, or with --verify the
// live keys (revoked now or not: the file still holds a leaked key) and
// those whose check failed.
func (r *report) summarize(io *ui.IOStreams) int {
	st := r.stats
	// "in 2 scanned files": how much was read, not where the secrets are.
	what := scannedCount(st.Files, "file")
	if r.git {
		what = scannedCount(st.Files, "blob")
	} else if r.stdin {
		what = "standard input"
	}
	skipped := ""
	if n := st.Binary + st.Large + st.Unreadable; n > 0 {
		skipped = fmt.Sprintf("; skipped %d binary, %d over 10 MiB, %d unreadable", st.Binary, st.Large, st.Unreadable)
	}
	if len(r.results) == 0 {
		fmt.Fprintf(io.ErrOut, "No Zupy secrets found in %s%s\n", what, skipped)
		return 0
	}
	count := len(r.results)
	live := ""
	if r.verify {
		count = 0
		const revoked = "revoked"
		distinct := map[string]map[string]bool{statusLive: {}, revoked: {}, statusUnverified: {}}
		for _, res := range r.results {
			s := res.Secret.Reveal()
			// A key not sent (another environment's URL is configured)
			// may be live, as one whose check failed.
			v := res.verdict
			switch {
			case v.status == statusLive && v.revoked:
				count++
				distinct[revoked][s] = true
			case v.status == statusLive:
				count++
				distinct[statusLive][s] = true
			case v.status == statusUnverified, v.status == statusNotVerified && res.Kind.IsKey():
				count++
				distinct[statusUnverified][s] = true
			}
		}
		// "(1 key live)", "(2 keys revoked now)", "(1 key live, 2 revoked
		// now, 1 not verified)": a key --revoke revoked is no longer live.
		var parts []string
		nLive, nRevoked := len(distinct[statusLive]), len(distinct[revoked])
		if nLive > 0 || nRevoked == 0 {
			parts = append(parts, ui.Plural(nLive, "key")+" live")
		}
		if nRevoked > 0 {
			if len(parts) == 0 {
				parts = append(parts, ui.Plural(nRevoked, "key")+" revoked now")
			} else {
				parts = append(parts, fmt.Sprintf("%d revoked now", nRevoked))
			}
		}
		if n := len(distinct[statusUnverified]); n > 0 {
			parts = append(parts, fmt.Sprintf("%d not verified", n))
		}
		live = " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(io.ErrOut, "%s %s found in %s%s%s\n", io.ErrColorScheme().FailureIcon(),
		ui.Plural(len(r.results), "secret"), what, live, skipped)
	if !r.verify && io.IsStderrTTY() && slices.ContainsFunc(r.results, func(res result) bool { return res.Kind.IsKey() }) {
		fmt.Fprintln(io.ErrOut, "Run the scan again with --verify to learn which keys are live (it sends them to the API), and --revoke to revoke those")
	}
	if r.verify && !r.revoke && io.IsStderrTTY() && slices.ContainsFunc(r.results, func(res result) bool {
		return res.verdict.status == statusLive
	}) {
		fmt.Fprintln(io.ErrOut, "Revoke the live keys with `"+cmdutil.ZupyCommand(r.profile, "keys scan --revoke")+"` (it lists them and asks first)")
	}
	return count
}

// scannedCount is "2 scanned files": what a scan read, said so that "1
// secret found in 2 scanned files" does not read as a secret in two files.
func scannedCount(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d scanned %s", n, noun)
}
