// Package root assembles the zupy command tree and runs it: global flags,
// error printing and the exit code.
package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/build"
	apicmd "github.com/zupy/zupy-cli/internal/cli/api"
	"github.com/zupy/zupy-cli/internal/cli/auth"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/completion"
	configcmd "github.com/zupy/zupy-cli/internal/cli/config"
	emulatorcmd "github.com/zupy/zupy-cli/internal/cli/emulator"
	"github.com/zupy/zupy-cli/internal/cli/keys"
	"github.com/zupy/zupy-cli/internal/cli/ping"
	"github.com/zupy/zupy-cli/internal/cli/scopes"
	"github.com/zupy/zupy-cli/internal/cli/version"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Main runs zupy with the process's arguments, streams and environment and
// returns the exit code. SIGINT and SIGTERM cancel the command's context.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := cmdutil.New(ui.System(), os.Getenv)
	return Run(ctx, f, os.Args[1:])
}

// Run executes the command line args with the factory's streams and returns
// the exit code (`zupy help exit-codes`). Errors are printed here, once.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	var filter *outputFilter
	f.IOStreams.SetContext(ctx)
	cmd := newRoot(f, &filter)
	cmd.SetArgs(args)
	ran, err := cmd.ExecuteContextC(ctx)
	if filter != nil {
		if ferr := filter.flush(ctx); ferr != nil && err == nil {
			err = ferr
		}
	}
	if err == nil {
		return cmdutil.ExitOK
	}
	var silent *cmdutil.SilentError
	// A command zupy ran for the user (emulator exec) decides its own exit
	// code, also when a signal ended zupy's context.
	passedOn := errors.As(err, &silent) && silent.Code != 0
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) && !passedOn {
		err = context.Canceled
	}
	if isCobraFlagError(err) {
		err = cmdutil.WithHint(&cmdutil.UsageError{Err: err}, "Run `zupy "+strings.Join(commandPath(cmd, args), " ")+" --help` for usage")
	}
	var unavailable *credentials.UnavailableError
	if errors.As(err, &unavailable) {
		if unavailable.FilePath == "" {
			unavailable.FilePath, _ = f.CredentialsFilePath()
		}
		unavailable.OfferFlag = ran != nil && ran.Flags().Lookup(cmdutil.InsecureStorageFlag) != nil
	}
	err = hintLocalEmulator(ctx, f, err)
	if !errors.As(err, &silent) {
		cmdutil.PrintError(f.IOStreams.ErrOut, f.IOStreams.ErrColorScheme(), err, f.JSON(), f.Profile())
	}
	return cmdutil.ExitCode(err)
}

// New builds the command tree.
func New(f *cmdutil.Factory) *cobra.Command {
	var filter *outputFilter
	return newRoot(f, &filter)
}

// newRoot builds the command tree; a --jq or --template filter is put in
// *filter before the command runs.
func newRoot(f *cmdutil.Factory, filter **outputFilter) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zupy <command>",
		Short: "Authenticate with the Zupy loyalty platform and manage API keys",
		Long: `zupy verifies your Zupy partner account with a one-time code, manages API keys
(scopes, rate limits, IP allow-lists, expiry, rotation), keeps secrets in the OS
keyring, and checks keys against the test endpoints. It ships a local emulator
of the Zupy authentication API for offline work and CI.`,
		Example: `  zupy login                      # on a terminal: asks for your e-mail, sends a code
  zupy keys create --name "PDV" --scopes loyalty:read,coupons:validate --save --default
  zupy keys list
  zupy auth status

  # offline, against a local emulator: see zupy emulator start --help`,
		Version:           build.Current().Version,
		SilenceErrors:     true,
		SilenceUsage:      true,
		Args:              cobra.ArbitraryArgs,
		RunE:              cmdutil.GroupRun,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error { return validateGlobals(f, cmd, filter) },
	}
	cmd.SetVersionTemplate(version.Template())
	cmd.SetIn(f.IOStreams.In)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// `keys creat --name x`: cobra parsed --name for the group, which
		// has none; the mistyped command is the mistake to name first.
		if c.HasSubCommands() {
			if args := c.Flags().Args(); len(args) > 0 {
				if sub, _, ferr := c.Find(args); ferr == nil && sub == c {
					return cmdutil.GroupRun(c, args)
				}
			}
		}
		return cmdutil.WithHint(&cmdutil.UsageError{Err: numberFlagError(err)}, fmt.Sprintf("Run `%s --help` for usage", c.CommandPath()))
	})

	cmdutil.BindGlobalFlags(cmd.PersistentFlags(), &f.Global)
	// stripe's habit, --api-key on the command line, is refused with what
	// to do instead (validateGlobals): a secret in argv shows in ps and the
	// shell's history (docs/security-model.md). Hidden: it is no option.
	cmd.PersistentFlags().String(apiKeyFlag, "", "Refused: use ZUPY_API_KEY or `zupy keys import`")
	_ = cmd.PersistentFlags().MarkHidden(apiKeyFlag)
	cmd.Flags().BoolP("version", "v", false, "Print the version")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("profile", completeProfiles(f))

	cmd.AddGroup(
		&cobra.Group{ID: "auth", Title: "Authentication:"},
		&cobra.Group{ID: "keys", Title: "API keys:"},
		&cobra.Group{ID: "tools", Title: "Tools:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			cmd.AddCommand(c)
		}
	}
	add("auth", auth.NewCmdLogin(f, nil), auth.NewCmdLogout(f, nil), auth.NewCmdAuth(f))
	add("keys", keys.NewCmdKeys(f))
	add("keys", scopes.NewCmdScopes(f, nil), ping.NewCmdPing(f, nil), apicmd.NewCmdAPI(f, nil))
	add("tools", emulatorcmd.NewCmdEmulator(f), configcmd.NewCmdConfig(f), completion.NewCmdCompletion(f, nil), version.NewCmdVersion(f, nil))
	cmd.SetHelpCommand(newHelpCmd())
	cmd.SetHelpCommandGroupID("tools")
	cmd.AddCommand(helpTopics()...)
	return cmd
}

// pflagNumber matches pflag's error for a number flag given something else:
// invalid argument "1k" for "--rate-limit" flag: strconv.ParseInt: parsing
// "1k": invalid syntax.
var pflagNumber = regexp.MustCompile(`^invalid argument "(.*)" for "(.*)" flag: strconv\.Parse(Int|Uint|Float): parsing ".*": (invalid syntax|value out of range)$`)

// numberFlagError puts pflag's strconv error for a number flag in a
// sentence: what was given, and what is expected.
func numberFlagError(err error) error {
	m := pflagNumber.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	value, flag, kind, why := m[1], m[2], m[3], m[4]
	want := "a whole number, such as 1000 (no units or suffixes like 1k)"
	if kind == "Float" {
		want = "a number, such as 1.5"
	}
	if why == "value out of range" {
		return fmt.Errorf("invalid %s %q: the number is too large", flag, value)
	}
	return fmt.Errorf("invalid %s %q: %s", flag, value, want)
}

// apiKeyFlag is the flag other CLIs take a key in, refused here.
const apiKeyFlag = "api-key"

// validateGlobals checks the global flags before any command runs, so a bad
// value is a usage error that changes nothing.
func validateGlobals(f *cmdutil.Factory, cmd *cobra.Command, filter **outputFilter) error {
	g := &f.Global
	if fl := cmd.Flags().Lookup(apiKeyFlag); fl != nil && fl.Changed {
		// The value is a secret: never echoed, not even masked.
		return cmdutil.WithHint(cmdutil.Usagef("zupy takes no --%s: a secret on the command line shows in ps and the shell's history", apiKeyFlag),
			"Use ZUPY_API_KEY (e.g. read -rs ZUPY_API_KEY; export ZUPY_API_KEY), or save the key with `zupy keys import`")
	}
	outputs := []string{"text", "json"}
	if extra := cmd.Annotations[cmdutil.AnnotationOutputs]; extra != "" {
		outputs = strings.Split(extra, ",")
	}
	if err := cmdutil.OneOf("output", g.Output, outputs...); err != nil {
		return err
	}
	if g.Retries < 0 || g.Retries > 10 {
		return cmdutil.Usagef("invalid --retries %d: must be between 0 and 10", g.Retries)
	}
	if g.Timeout <= 0 {
		return cmdutil.Usagef("invalid --timeout %s: must be positive", g.Timeout)
	}
	if err := config.ValidateProfile(f.Profile()); err != nil {
		return &cmdutil.UsageError{Err: err}
	}
	if fl := g.Flags.Lookup("base-url"); fl.Changed {
		if _, err := config.NormalizeBaseURL(g.BaseURL); err != nil {
			return cmdutil.Usagef("invalid --base-url: %v", err)
		}
	}
	f.IOStreams.SetNoColor(g.NoColor)
	if g.JQ != "" || g.Template != "" {
		out, err := newOutputFilter(g.JQ, g.Template)
		if err != nil {
			return err
		}
		if g.Flags.Lookup("output").Changed && g.Output != "json" {
			return cmdutil.Usagef("--jq and --template format JSON: they cannot be used with -o %s", g.Output)
		}
		g.Output = "json"
		if *filter == nil {
			out.capture(f.IOStreams)
			*filter = out
		}
	}
	return nil
}

// cobraFlagErrors start the messages of cobra's flag checks (mutually
// exclusive, required together, one required, required flags), which it
// returns as plain errors before a command runs: they are usage errors.
var cobraFlagErrors = []string{
	"if any flags in the group [",
	"at least one of the flags in the group [",
	"required flag(s) ",
}

func isCobraFlagError(err error) bool {
	var usage *cmdutil.UsageError
	if errors.As(err, &usage) {
		return false
	}
	for _, p := range cobraFlagErrors {
		if strings.HasPrefix(err.Error(), p) {
			return true
		}
	}
	return false
}

// commandPath is the subcommand names args select, for the usage hint.
func commandPath(root *cobra.Command, args []string) []string {
	c, _, err := root.Find(args)
	if err != nil || c == root {
		return nil
	}
	return strings.Fields(strings.TrimPrefix(c.CommandPath(), root.Name()+" "))
}

func completeProfiles(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		file, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, n := range append([]string{"default"}, file.ProfileNames()...) {
			if strings.HasPrefix(n, toComplete) && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
