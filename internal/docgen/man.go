package docgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manDate is the date every page carries: fixed, so that the pages are
// reproducible and the staleness test is about content only.
var manDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// writeManPages writes one page per available command under dir, named
// after the command path (zupy-keys-create.1), each headed with its own
// name (ZUPY-KEYS-CREATE(1)); zupy.1 also gets EXIT STATUS, ENVIRONMENT and
// FILES.
func writeManPages(cmd *cobra.Command, dir string) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := writeManPages(c, dir); err != nil {
			return err
		}
	}
	// GenMan fills an empty Title from the command path, in the header it
	// is given: a fresh header for each page.
	header := &doc.GenManHeader{Section: "1", Source: "zupy", Manual: "zupy manual", Date: &manDate}
	var b bytes.Buffer
	if err := doc.GenMan(cmd, header, &b); err != nil {
		return fmt.Errorf("man %s: %w", cmd.CommandPath(), err)
	}
	page := tidyMan(b.String())
	if !cmd.HasParent() {
		var err error
		if page, err = addRootSections(cmd, page); err != nil {
			return err
		}
	}
	name := strings.ReplaceAll(cmd.CommandPath(), " ", "-") + ".1"
	return os.WriteFile(filepath.Join(dir, name), []byte(page), 0o644)
}

var thDate = regexp.MustCompile(`(?m)^(\.TH "[^"]*" "1" )"[^"]*"`)

// tidyMan makes cobra's page lint-clean (groff -ww, mandoc -T lint): an
// ISO date mandoc can read, each option as a .TP paragraph rather than a
// tab in filled text, and every character beyond ASCII as a groff escape, so
// no renderer depends on the input encoding.
func tidyMan(page string) string {
	page = thDate.ReplaceAllString(page, `${1}"`+manDate.Format("2006-01-02")+`"`)
	lines := strings.Split(page, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		isFlag := func(j int) bool {
			return j+1 < len(lines) && strings.HasPrefix(lines[j], `\fB-`) && strings.HasPrefix(lines[j+1], "\t")
		}
		switch {
		case line == ".PP" && isFlag(i+1):
			continue // .TP starts the paragraph
		case isFlag(i):
			out = append(out, ".TP", line)
			i++
			out = append(out, strings.TrimPrefix(lines[i], "\t"))
		default:
			out = append(out, line)
		}
	}
	return escapeNonASCII(strings.Join(out, "\n"))
}

func escapeNonASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, `\[u%04X]`, r)
	}
	return b.String()
}

// rootFiles is zupy(1)'s FILES section (roff).
const rootFiles = `.TP
\fI$ZUPY_CONFIG_DIR/config.yaml\fP
Profiles and their settings (base_url, environment, default_key_id,
credential_store); never a secret. Without ZUPY_CONFIG_DIR the directory is
\fI$XDG_CONFIG_HOME/zupy\fP, else \fI~/.config/zupy\fP. Created with mode 0600
in a 0700 directory; \fBzupy config path\fP prints it.
.TP
\fI$ZUPY_CONFIG_DIR/credentials.yaml\fP
Session tokens and saved API keys, only for profiles whose credential_store is
"file" (\fB\-\-insecure\-storage\fP); mode 0600. Otherwise secrets live in the OS
keyring, service "zupy", accounts "PROFILE/session" and "PROFILE/key/KEY_ID".
.TP
\fI$XDG_DATA_HOME/zupy/emulator\fP
The emulator's SQLite database (default \fI~/.local/share/zupy/emulator\fP;
\fB\-\-data\-dir\fP changes it). It holds keys only as HMACs.
`

// addRootSections puts EXIT STATUS and ENVIRONMENT (from the help topics
// of the same names, one source) and FILES before zupy(1)'s SEE ALSO.
func addRootSections(root *cobra.Command, page string) (string, error) {
	var sections strings.Builder
	for _, s := range []struct{ title, topic string }{{"EXIT STATUS", "exit-codes"}, {"ENVIRONMENT", "environment"}} {
		topic, _, err := root.Find([]string{s.topic})
		if err != nil || topic == root || topic.Long == "" {
			return "", fmt.Errorf("man zupy: no help topic %q for %s", s.topic, s.title)
		}
		fmt.Fprintf(&sections, ".SH %s\n%s\n", s.title, topicToRoff(topic.Long))
	}
	sections.WriteString(".SH FILES\n" + rootFiles + "\n\n")
	const anchor = "\n.SH SEE ALSO\n"
	if strings.Count(page, anchor) != 1 {
		return "", fmt.Errorf("man zupy: no SEE ALSO section to put EXIT STATUS before")
	}
	return strings.Replace(page, anchor, "\n"+escapeNonASCII(sections.String())+anchor[1:], 1), nil
}

var tableEntry = regexp.MustCompile(`^  (\S+)\s{2,}(.*)$`)

// topicToRoff renders a help topic: paragraphs become .PP, and a paragraph
// of two-space-indented "TERM  text" lines (continued by deeper indented
// lines) becomes a .TP list.
func topicToRoff(text string) string {
	var b strings.Builder
	for i, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		lines := strings.Split(para, "\n")
		if !tableEntry.MatchString(lines[0]) {
			if i > 0 { // the section heading starts the first paragraph
				b.WriteString(".PP\n")
			}
			for _, l := range lines {
				b.WriteString(roffText(strings.TrimSpace(l)) + "\n")
			}
			continue
		}
		for _, l := range lines {
			if m := tableEntry.FindStringSubmatch(l); m != nil {
				fmt.Fprintf(&b, ".TP\n\\fB%s\\fP\n%s\n", roffText(m[1]), roffText(m[2]))
				continue
			}
			b.WriteString(roffText(strings.TrimSpace(l)) + "\n")
		}
	}
	return b.String()
}

// roffText escapes a line of text for roff: backslashes, hyphens (so that
// they are not broken or turned into dashes) and a leading control character.
func roffText(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
