package keys

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// parse runs `zupy keys <args>` with every subcommand's run replaced, and
// returns the options of the one that ran (nil when none did).
func parse(t *testing.T, env map[string]string, tty bool, args ...string) (any, error) {
	t.Helper()
	f, _, _ := testFactory(env)
	f.IOStreams.SetTTY(tty, tty, tty)
	var got any
	keep := func(o any) error { got = o; return nil }
	group := &cobra.Command{Use: "keys"}
	group.AddCommand(
		NewCmdCreate(f, func(o *CreateOptions) error { return keep(o) }),
		NewCmdList(f, func(o *ListOptions) error { return keep(o) }),
		NewCmdUsage(f, func(o *UsageOptions) error { return keep(o) }),
		NewCmdShow(f, func(o *ShowOptions) error { return keep(o) }),
		NewCmdUpdate(f, func(o *UpdateOptions) error { return keep(o) }),
		NewCmdRotate(f, func(o *RotateOptions) error { return keep(o) }),
		NewCmdRevoke(f, func(o *RevokeOptions) error { return keep(o) }),
		NewCmdImport(f, func(o *ImportOptions) error { return keep(o) }),
	)
	err := clitest.Run(context.Background(), f, group, append([]string{"keys"}, args...)...)
	return got, err
}

func TestNewCmdKeysParsesIntoOptions(t *testing.T) {
	const id = "key_0123456789ab"
	for _, c := range []struct {
		name  string
		args  []string
		tty   bool
		check func(any) bool
	}{
		// On a terminal, what is missing is asked for in the run.
		{"create with no flag on a terminal asks everything", []string{"create"}, true, func(o any) bool {
			c := o.(*CreateOptions)
			return c.Prompt && c.AskAll
		}},
		{"create with a name on a terminal asks the scopes only", []string{"create", "--name", "x"}, true, func(o any) bool {
			c := o.(*CreateOptions)
			return c.Prompt && !c.AskAll && c.Name == "x"
		}},
		{"create with every flag asks nothing", []string{"create", "--name", "x", "--scopes", "loyalty:read"}, true, func(o any) bool {
			return !o.(*CreateOptions).Prompt
		}},
		{"show without id on a terminal picks", []string{"show"}, true, func(o any) bool { return o.(*ShowOptions).KeyID == "" }},
		{"revoke without id on a terminal picks", []string{"revoke"}, true, func(o any) bool { return o.(*RevokeOptions).KeyID == "" }},
		{"rotate without id on a terminal picks", []string{"rotate"}, true, func(o any) bool { return o.(*RotateOptions).KeyID == "" }},
		{"update without id on a terminal picks", []string{"update", "--name", "y"}, true, func(o any) bool { return o.(*UpdateOptions).KeyID == "" }},
		{"list defaults", []string{"list"}, false, func(o any) bool {
			l := o.(*ListOptions)
			return l.Status == api.StatusActive && l.Environment == "" && !l.JSON
		}},
		{"list filters", []string{"ls", "--environment", "staging", "--status", "all", "-o", "json"}, false, func(o any) bool {
			l := o.(*ListOptions)
			return l.Status == "all" && l.Environment == "staging" && l.JSON
		}},
		{"list limit", []string{"list", "--limit", "5"}, false, func(o any) bool {
			l := o.(*ListOptions)
			return l.Limit == 5 && !l.All
		}},
		{"usage defaults", []string{"usage"}, false, func(o any) bool {
			u := o.(*UsageOptions)
			return u.KeyID == "" && u.Since == "24h" && u.Bucket == "" && !u.Lineage && !u.Watch && u.Interval == 5*time.Second
		}},
		{"usage flags", []string{"usage", id, "--since", "7d", "--bucket", "hour", "--lineage", "--watch", "--interval", "2s"}, true, func(o any) bool {
			u := o.(*UsageOptions)
			return u.KeyID == id && u.Since == "7d" && u.Bucket == "hour" && u.Lineage && u.Watch && u.Interval == 2*time.Second
		}},
		{"list all", []string{"list", "--all"}, true, func(o any) bool {
			l := o.(*ListOptions)
			return l.All && l.Limit == 0
		}},
		{"list environment alias", []string{"ls", "--environment", "test"}, false, func(o any) bool {
			return o.(*ListOptions).Environment == "staging"
		}},
		{"create environment alias", []string{"create", "--name", "x", "--scopes", "loyalty:read", "--environment", "live"}, false, func(o any) bool {
			c := o.(*CreateOptions)
			return c.Environment == "production" && c.Request.Environment == "production"
		}},
		{"show", []string{"show", id}, false, func(o any) bool { return o.(*ShowOptions).KeyID == id }},
		{"rotate with grace in days", []string{"rotate", id, "--grace", "2d", "--save", "--no-verify"}, false, func(o any) bool {
			r := o.(*RotateOptions)
			return r.KeyID == id && r.Grace.Hours() == 48 && r.Save && r.NoVerify && !r.Self
		}},
		{"revoke --yes without a terminal", []string{"revoke", id, "-y", "--profile", "work"}, false, func(o any) bool {
			r := o.(*RevokeOptions)
			return r.KeyID == id && r.Yes && r.Profile == "work"
		}},
		{"import", []string{"import", "--default", "--key-stdin"}, false, func(o any) bool {
			i := o.(*ImportOptions)
			return i.Default && i.KeyStdin
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parse(t, nil, c.tty, c.args...)
			if err != nil || got == nil || !c.check(got) {
				t.Fatalf("err = %v, options %+v", err, got)
			}
		})
	}
}

func TestNewCmdKeysRefusesBadInputBeforeTheRun(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"list environment", []string{"list", "--environment", "dev"}, `invalid --environment "dev": must be production or staging (or live or test, the key prefixes)`},
		{"list status", []string{"list", "--status", "gone"}, `invalid --status "gone": must be active, expired, revoked, all`},
		{"usage bucket", []string{"usage", "key_0123456789ab", "--bucket", "week"}, `invalid --bucket "week": must be auto, minute, hour, day`},
		{"usage since", []string{"usage", "key_0123456789ab", "--since", "0d"}, `invalid --since "0d": not a duration (90m, 24h, 7d) or an RFC 3339 time`},
		{"usage interval without watch", []string{"usage", "key_0123456789ab", "--interval", "2s"}, "--interval needs --watch"},
		{"usage interval too short", []string{"usage", "key_0123456789ab", "--watch", "--interval", "100ms"}, "invalid --interval 100ms: must be at least 1s"},
		{"list limit zero", []string{"list", "--limit", "0"}, "--limit must be a whole number of at least 1 (got 0)"},
		{"list limit and all", []string{"list", "--limit", "3", "--all"}, "--limit and --all cannot be combined"},
		{"show bad id", []string{"show", "key_x"}, `invalid key id "key_x": a key id is key_ followed by 12 lowercase letters or digits`},
		{"show no id", []string{"show"}, "missing KEY_ID"},
		{"update nothing", []string{"update", "key_0123456789ab"}, "nothing to update"},
		{"update both ip flags", []string{"update", "key_0123456789ab", "--allow-ip", "10.0.0.1", "--clear-ips"}, "--allow-ip and --clear-ips cannot be used together"},
		{"rotate no id", []string{"rotate"}, "missing KEY_ID (or --self to rotate the key in ZUPY_API_KEY)"},
		{"rotate self with id", []string{"rotate", "--self", "key_0123456789ab"}, `--self takes no KEY_ID (got "key_0123456789ab")`},
		{"rotate grace too long", []string{"rotate", "key_0123456789ab", "--grace", "8d"}, "invalid --grace 8d: must be at most 168h (7 days)"},
		{"rotate key-id without self", []string{"rotate", "key_0123456789ab", "--key-id", "key_0123456789ab"}, "--key-id needs --self"},
		{"create host bits", []string{"create", "--name", "x", "--scopes", "loyalty:read", "--allow-ip", "10.0.0.5/8"}, "--allow-ip 10.0.0.5/8: host bits set; did you mean 10.0.0.0/8?"},
		{"create empty allow-ip", []string{"create", "--name", "x", "--scopes", "loyalty:read", "--allow-ip", ""}, "invalid --allow-ip: no address given"},
		{"import argument", []string{"import", "zup_live_sk_x"}, `the argument zup_live_sk_… looks like a secret, not an id: it is not shown and nothing was sent`},
		{"import plain argument", []string{"import", "extra"}, `unexpected argument "extra"`},
		// Without a terminal nothing is asked: a missing flag or id is exit 2.
		{"create without a terminal", []string{"create"}, "--name is required"},
		{"show without a terminal", []string{"show"}, "missing KEY_ID"},
		{"revoke without a terminal", []string{"revoke", "--yes"}, "missing KEY_ID"},
		{"update without a terminal", []string{"update", "--name", "y"}, "missing KEY_ID"},
		{"rotate without a terminal", []string{"rotate"}, "missing KEY_ID (or --self to rotate the key in ZUPY_API_KEY)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parse(t, nil, false, c.args...)
			if err == nil || err.Error() != c.want || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
				t.Fatalf("err = %v (exit %d), want usage error %q", err, cmdutil.ExitCode(err), c.want)
			}
			if got != nil {
				t.Fatal("the run function ran after a refusal")
			}
		})
	}
}

// lockedStore refuses every call, like a keyring that cannot be unlocked.
type lockedStore struct{}

var errLocked = errors.New("collection is locked")

func (lockedStore) Get(context.Context, string) (string, error) { return "", errLocked }
func (lockedStore) Set(context.Context, string, string) error   { return errLocked }
func (lockedStore) Delete(context.Context, string) error        { return errLocked }
func (lockedStore) Location() string                            { return "keyring" }

func TestRevokeReportsAnUnreadableStoreAsANoteNotAFailure(t *testing.T) {
	base, session := clitest.Emulator(t, nil)
	ctx := context.Background()
	key, _, err := api.New(api.Options{BaseURL: base}).CreateKey(ctx, session, api.CreateKeyRequest{Name: "x", Permissions: []string{"loyalty:read"}})
	if err != nil {
		t.Fatal(err)
	}
	f, _, errOut := runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session})
	opts := &RevokeOptions{IO: f.IOStreams, Profile: "default", Config: f.Config, Client: f.Client, Resolver: f.Resolve.Credentials,
		Store: func() (credentials.Store, error) { return lockedStore{}, nil }, Prompter: f.Prompter, KeyID: key.KeyID, Yes: true}
	if err := revokeRun(ctx, opts); err != nil {
		t.Fatalf("revoke failed because of the store: %v", err)
	}
	got, _, err := api.New(api.Options{BaseURL: base}).GetKey(ctx, session, key.KeyID)
	if err != nil || got.Status != api.StatusRevoked {
		t.Fatalf("key after revoke: %+v, %v", got, err)
	}
	if s := errOut.String(); !strings.Contains(s, "Revoked "+key.KeyID) ||
		!strings.Contains(s, "warning: could not check for a saved secret of "+key.KeyID+": collection is locked") {
		t.Errorf("stderr = %q", s)
	}
}

// TestRotateRunbookFlagsParse pins the runbook's command line: what each
// flag becomes, and every refusal, a usage error before anything runs.
func TestRotateRunbookFlagsParse(t *testing.T) {
	const id = "key_0123456789ab"
	got, err := parse(t, nil, false, "rotate", id, "--grace", "2h", "--deploy", "a", "--deploy-file", "x.env:API_KEY",
		"--deploy", "b", "--deploy-env", "SECRET", "--watch", "--min-requests", "3", "--idle", "5m", "--revoke-old")
	if err != nil {
		t.Fatal(err)
	}
	o := got.(*RotateOptions)
	want := []deployTarget{{Cmd: "a"}, {Path: "x.env", Var: "API_KEY"}, {Cmd: "b"}}
	if len(o.Targets) != 3 || o.Targets[0] != want[0] || o.Targets[1] != want[1] || o.Targets[2] != want[2] {
		t.Errorf("targets %+v, want %+v in order", o.Targets, want)
	}
	if o.WatchTimeout != 2*time.Hour-15*time.Minute || o.MinRequests != 3 || o.Idle != 5*time.Minute || !o.RevokeOld || o.DeployEnv != "SECRET" {
		t.Errorf("options %+v", o)
	}
	got, err = parse(t, nil, false, "rotate", "--resume", id, "--deploy-file", ".env", "--watch")
	if err != nil || !got.(*RotateOptions).Resume || got.(*RotateOptions).SuccessorID != id {
		t.Errorf("--resume: %+v, %v", got, err)
	}
	got, err = parse(t, nil, false, "rotate", "--undo", "--self")
	if err != nil || !got.(*RotateOptions).Undo || !got.(*RotateOptions).Self {
		t.Errorf("--undo --self: %+v, %v", got, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{id, "--grace", "0", "--watch", "--watch-timeout", "1m"}, "--grace 0 cannot be combined"},
		{[]string{"--undo", id, "--grace", "0"}, "--grace 0 cannot be combined"},
		{[]string{id, "--revoke-old"}, "--revoke-old needs --watch"},
		{[]string{id, "--idle", "5m"}, "need --watch"},
		{[]string{id, "--watch", "--min-requests", "0"}, "invalid --min-requests 0"},
		{[]string{id, "--watch", "--idle", "0s"}, "invalid --idle"},
		{[]string{id, "--watch", "--grace", "1h", "--watch-timeout", "2h"}, "--watch-timeout 2h is longer than --grace 1h"},
		{[]string{id, "--watch", "--grace", "15m"}, "--grace 15m leaves no time to watch"},
		{[]string{id, "--deploy-env", "X"}, "--deploy-env needs --deploy"},
		{[]string{id, "--deploy", "a", "--deploy-env", "1X"}, "invalid --deploy-env"},
		{[]string{id, "--deploy-timeout", "1m"}, "--deploy-timeout needs --deploy"},
		{[]string{id, "--deploy", "a", "--deploy-timeout", "0s"}, "invalid --deploy-timeout"},
		{[]string{id, "--follow-symlinks"}, "--follow-symlinks needs --deploy-file"},
		{[]string{"--resume", "--undo", id}, "cannot be combined"},
		{[]string{"--undo", id, "--deploy", "a"}, "--undo cannot be combined with --deploy"},
		{[]string{"--undo"}, "--undo needs the KEY_ID of the new key"},
		{[]string{"--resume", "--grace", "1h"}, "--grace cannot be combined with --resume"},
		{[]string{"--resume", "--save"}, "apply to a new rotation"},
		{[]string{"--resume", "--self", "--watch"}, "--resume --self --watch needs --watch-timeout"},
		{[]string{"--undo", "--self", id}, "--self takes no KEY_ID"},
	} {
		_, err := parse(t, nil, false, append([]string{"rotate"}, c.args...)...)
		if err == nil || cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("rotate %v: %v; want a usage error with %q", c.args, err, c.want)
		}
	}
}
