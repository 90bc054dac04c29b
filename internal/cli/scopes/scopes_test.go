package scopes

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/scope"
)

// run executes `zupy <args>` with the scopes command under a root that
// carries -o like the real one; setup, if given, adjusts the factory first.
func run(t *testing.T, setup func(*cmdutil.Factory), args ...string) (string, error) {
	t.Helper()
	f, out, errOut := clitest.Factory(map[string]string{"ZUPY_CONFIG_DIR": t.TempDir()}, "")
	if setup != nil {
		setup(f)
	}
	err := clitest.Run(context.Background(), f, NewCmdScopes(f, nil), args...)
	if errOut.Len() > 0 {
		t.Errorf("zupy %s wrote to stderr: %q", strings.Join(args, " "), errOut.String())
	}
	return out.String(), err
}

func TestJSONIsExactlyTheCatalog(t *testing.T) {
	out, err := run(t, nil, "scopes", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var got []scope.Scope
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("scopes -o json does not decode to []scope.Scope: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(got, scope.Catalog) {
		t.Errorf("scopes -o json =\n%+v\nwant the catalog\n%+v", got, scope.Catalog)
	}
}

func TestPipedTextIsOneTabSeparatedLinePerScopeWithoutHeaderOrColour(t *testing.T) {
	out, err := run(t, nil, "scopes")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("piped output carries ANSI escapes: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(scope.Catalog) || len(lines) != 9 {
		t.Fatalf("got %d lines, want one for each of the 9 scopes:\n%s", len(lines), out)
	}
	for i, line := range lines {
		s := scope.Catalog[i]
		if want := s.Name + "\t" + s.Group + "\t" + s.Description; line != want {
			t.Errorf("line %d = %q, want %q", i+1, line, want)
		}
	}
}

func TestTerminalTextHasAHeaderAndAlignedColumns(t *testing.T) {
	out, err := run(t, func(f *cmdutil.Factory) {
		f.IOStreams.SetTTY(false, true, false)
		f.IOStreams.SetNoColor(true)
	}, "scopes")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out, "\t\x1b") {
		t.Errorf("terminal output with colour off has tabs or ANSI: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(scope.Catalog)+1 {
		t.Fatalf("got %d lines, want a header and %d rows:\n%s", len(lines), len(scope.Catalog), out)
	}
	// Each column starts two spaces after the widest cell of the one before.
	nameW, groupW := len("SCOPE"), len("GROUP")
	for _, s := range scope.Catalog {
		nameW, groupW = max(nameW, len(s.Name)), max(groupW, len(s.Group))
	}
	groupAt, descAt := nameW+2, nameW+2+groupW+2
	rows := [][3]string{{"SCOPE", "GROUP", "DESCRIPTION"}}
	for _, s := range scope.Catalog {
		rows = append(rows, [3]string{s.Name, s.Group, s.Description})
	}
	for i, line := range lines {
		want := rows[i]
		if len(line) < descAt ||
			strings.TrimRight(line[:groupAt], " ") != want[0] ||
			strings.TrimRight(line[groupAt:descAt], " ") != want[1] ||
			line[descAt:] != want[2] {
			t.Errorf("line %d = %q, want %q, %q, %q starting at columns 0, %d, %d", i+1, line, want[0], want[1], want[2], groupAt, descAt)
		}
	}
}

func TestExtraArgumentIsAUsageError(t *testing.T) {
	out, err := run(t, nil, "scopes", "customer:read")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || err.Error() != `unexpected argument "customer:read"` {
		t.Errorf("scopes customer:read: exit %d, err %v; want exit 2", cmdutil.ExitCode(err), err)
	}
	if out != "" {
		t.Errorf("a refused command printed %q", out)
	}
}

func TestNewCmdScopesParsesOutputIntoOptions(t *testing.T) {
	for _, c := range []struct {
		args    []string
		json    bool
		wantErr string
	}{
		{[]string{"scopes"}, false, ""},
		{[]string{"scopes", "-o", "json"}, true, ""},
		{[]string{"scopes", "--bogus"}, false, "unknown flag: --bogus"},
	} {
		f, _, _ := clitest.Factory(nil, "")
		var got *ScopesOptions
		cmd := NewCmdScopes(f, func(o *ScopesOptions) error { got = o; return nil })
		err := clitest.Run(context.Background(), f, cmd, c.args...)
		if c.wantErr != "" {
			if err == nil || err.Error() != c.wantErr || got != nil {
				t.Errorf("%v: err %v, ran %v; want %q before the run", c.args, err, got != nil, c.wantErr)
			}
			continue
		}
		if err != nil || got.JSON != c.json {
			t.Errorf("%v: err %v, options %+v", c.args, err, got)
		}
	}
}
