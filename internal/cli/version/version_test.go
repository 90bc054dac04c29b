package version

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/build"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	f, out, errOut := clitest.Factory(nil, "")
	err := clitest.Run(context.Background(), f, NewCmdVersion(f, nil), args...)
	if errOut.Len() > 0 {
		t.Errorf("zupy %s wrote to stderr: %q", strings.Join(args, " "), errOut.String())
	}
	return out.String(), err
}

func TestTextHasVersionCommitBuiltAndGoLines(t *testing.T) {
	got := text(build.Info{Version: "v1.2.3", Commit: "abc1234", Date: "2025-01-02T03:04:05Z", GoVersion: "go1.99.1"})
	want := "zupy version v1.2.3\ncommit: abc1234\nbuilt: 2025-01-02T03:04:05Z\ngo: go1.99.1\n"
	if got != want {
		t.Errorf("text =\n%q\nwant\n%q", got, want)
	}
}

func TestVersionCommandPrintsTheCurrentBuild(t *testing.T) {
	out, err := run(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	if want := text(build.Current()); out != want {
		t.Errorf("version =\n%q\nwant\n%q", out, want)
	}
}

func TestVersionJSONDecodesToBuildInfo(t *testing.T) {
	out, err := run(t, "version", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var got build.Info
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("version -o json does not decode to build.Info: %v\n%s", err, out)
	}
	if got.GoVersion != runtime.Version() {
		t.Errorf("go_version %q, want %q", got.GoVersion, runtime.Version())
	}
	if got != build.Current() {
		t.Errorf("version -o json = %+v, want build.Current() %+v", got, build.Current())
	}
	if got.Version == "" || got.Commit == "" || got.Date == "" {
		t.Errorf("version -o json leaves a field empty: %+v", got)
	}
}

func TestTemplateIsTheVersionCommandText(t *testing.T) {
	if got, want := Template(), text(build.Current()); got != want {
		t.Errorf("Template() = %q, want %q", got, want)
	}
}

func TestExtraArgumentIsAUsageError(t *testing.T) {
	out, err := run(t, "version", "extra")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("version extra: exit %d (%v), want 2", cmdutil.ExitCode(err), err)
	}
	if out != "" {
		t.Errorf("a refused command printed %q", out)
	}
}

func TestNewCmdVersionParsesOutputIntoOptions(t *testing.T) {
	for _, c := range []struct {
		args []string
		json bool
	}{
		{[]string{"version"}, false},
		{[]string{"version", "-o", "json"}, true},
	} {
		f, _, _ := clitest.Factory(nil, "")
		var got *VersionOptions
		cmd := NewCmdVersion(f, func(o *VersionOptions) error { got = o; return nil })
		if err := clitest.Run(context.Background(), f, cmd, c.args...); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if got.JSON != c.json || got.Info != build.Current() || got.IO != f.IOStreams {
			t.Errorf("%v: options %+v", c.args, got)
		}
	}
}
