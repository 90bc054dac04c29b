package scan

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
)

// A scanned folder is data, not code (docs/security-model.md, "A scanned
// folder or repository"): its .git/config, .gitattributes and hooks are
// written by whoever made the folder, and git would run the commands they
// name. Every git that zupy starts goes through gitCommand, which turns off
// each setting of the repository that runs a command. Read commands (ls-files,
// rev-parse, rev-list, cat-file, log --raw) reach only some of them; all are
// set anyway, so a future invocation stays safe.

// gitConfig are the -c settings of every git invocation. The command line
// outranks every configuration file, including those a repository's config
// includes. Settings only fetch and push read (core.sshCommand,
// core.askPass, core.alternateRefsCommand, uploadpack.packObjectsHook) need
// no entry: no transport runs at all (GIT_ALLOW_PROTOCOL below). Filters
// (filter.*.clean, smudge, process) run only when a file is checked out or
// added, which a scan never does: blobs are read raw by cat-file --batch.
var gitConfig = []string{
	"core.fsmonitor=false",         // an fsmonitor hook runs whenever the index is read
	"core.hooksPath=" + os.DevNull, // no hook (post-index-change, reference-transaction, …)
	"core.pager=cat",               // with --no-pager and GIT_PAGER below
	"log.showSignature=false",      // a signed commit would run gpg.program on log
	"gpg.program=",                 // and the signature programs themselves, emptied
	"gpg.openpgp.program=",
	"gpg.x509.program=",
	"gpg.ssh.program=",
	"gpg.ssh.defaultKeyCommand=",
	"diff.external=",       // with --no-ext-diff and --no-textconv on log
	"credential.helper=",   // an empty value clears the list of helpers
	"protocol.allow=never", // see GIT_ALLOW_PROTOCOL
	"core.quotePath=false", // paths as they are, for the parsers here
}

// gitEnv is added to the environment of every git invocation.
var gitEnv = []string{
	"GIT_CONFIG_NOSYSTEM=1", // /etc/gitconfig is not the user's and not needed
	"GIT_PAGER=cat",
	"PAGER=cat",
	"GIT_EXTERNAL_DIFF=",
	"GIT_TERMINAL_PROMPT=0",
	"GIT_ASKPASS=",
	"SSH_ASKPASS=",
	"GIT_SSH=",
	"GIT_SSH_COMMAND=",
	// An allow-list naming no real protocol outranks every protocol.*
	// setting: no transport at all, so no lazy fetch of a partial clone.
	"GIT_ALLOW_PROTOCOL=none",
	"GIT_NO_LAZY_FETCH=1", // git 2.44 and later say so directly
	// Replace refs could hide a commit's real content from the walk.
	"GIT_NO_REPLACE_OBJECTS=1",
	// Read commands do not refresh and rewrite the index.
	"GIT_OPTIONAL_LOCKS=0",
}

// errNoGit is the error of a scan that needs git where it is not installed.
var errNoGit = errors.New("git is not installed")

// haveGit reports whether the git command is installed.
func haveGit() bool {
	_, err := exec.LookPath("git")
	return err == nil
}

// gitCommand is `git -C dir args...`, with the repository's command-running
// settings turned off: the one way zupy starts git. A log gets
// --no-show-signature, --no-ext-diff and --no-textconv too.
func gitCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	argv := make([]string, 0, 4+2*len(gitConfig)+len(args)+3)
	argv = append(argv, "--no-pager", "--no-optional-locks", "-C", dir)
	for _, c := range gitConfig {
		argv = append(argv, "-c", c)
	}
	if len(args) > 0 && args[0] == "log" {
		argv = append(argv, "log", "--no-show-signature", "--no-ext-diff", "--no-textconv")
		args = args[1:]
	}
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, "git", argv...)
	cmd.Env = append(gitParentEnv(os.Environ()), gitEnv...)
	return cmd
}

// gitLocationVars point git at a repository other than the one under dir.
// Git sets them for its hooks, so a `zupy keys scan OTHER` run from a hook
// would otherwise read the hook's repository instead of OTHER.
var gitLocationVars = map[string]bool{
	"GIT_DIR": true, "GIT_WORK_TREE": true, "GIT_INDEX_FILE": true,
	"GIT_OBJECT_DIRECTORY": true, "GIT_ALTERNATE_OBJECT_DIRECTORIES": true,
	"GIT_COMMON_DIR": true, "GIT_NAMESPACE": true, "GIT_PREFIX": true,
	"GIT_CEILING_DIRECTORIES": true, "GIT_DISCOVERY_ACROSS_FILESYSTEM": true,
	"GIT_CONFIG": true, "GIT_CONFIG_PARAMETERS": true, "GIT_CONFIG_COUNT": true,
}

// gitParentEnv is env without the variables that choose another repository
// or inject configuration (GIT_CONFIG_PARAMETERS, GIT_CONFIG_KEY_n …).
func gitParentEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if gitLocationVars[name] || strings.HasPrefix(name, "GIT_CONFIG_KEY_") || strings.HasPrefix(name, "GIT_CONFIG_VALUE_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
