package scan

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// historyRefs name the history a --git scan walks: every ref (branches,
// tags, the newest stash entry, notes) and every reflog entry, so that older
// stash entries and commits amended or reset away, which only a reflog
// still names, are read too. Objects that nothing names any more (a reflog
// expired, a dropped stash) are not.
var historyRefs = []string{"--all", "--reflog"}

// blob is one git blob to read, named by the first path git's object walk
// found it under.
type blob struct {
	id   string
	path string
	size int64
}

// ScanHistory scans every blob reachable from every ref and every reflog
// entry of the repository at dir (historyRefs), each blob read once (`git
// rev-list --objects --all --reflog` piped into `git cat-file --batch`),
// and reports each secret once, at the same place every run: the first
// commit (in topological order) that holds it, then the first path (in byte
// order), line and column there (earlier). Binary blobs, blobs
// over MaxFileSize and paths matching opts.Exclude are skipped.
func ScanHistory(ctx context.Context, dir string, opts Options) ([]Finding, Stats, error) {
	findings, st, err := scanHistory(ctx, dir, opts)
	return findings, st, maskError(err)
}

func scanHistory(ctx context.Context, dir string, opts Options) ([]Finding, Stats, error) {
	var st Stats
	if !haveGit() {
		return nil, st, errors.New("--git needs the git command, and " + errNoGit.Error())
	}
	if out, err := gitCommand(ctx, dir, "rev-parse", "--git-dir").CombinedOutput(); err != nil {
		return nil, st, fmt.Errorf("%s is not in a git repository: %s", dir, strings.TrimSpace(string(out)))
	}
	blobs, large, missing, err := listBlobs(ctx, dir, newExcluder(opts.Exclude))
	if err != nil {
		return nil, st, err
	}
	st.Large = large
	if missing > 0 {
		// A partial clone: the objects it left on the server are not
		// fetched (fetching runs the repository's remote, see gitcmd.go).
		st.Unreadable += missing
		what := fmt.Sprintf("%d objects", missing)
		if missing == 1 {
			what = "1 object"
		}
		opts.warn(fmt.Errorf("%s of the history missing from %s (a partial clone?), not read", what, dir))
	}
	hits, bst, err := readBlobs(ctx, dir, blobs, opts.Workers)
	st.add(bst)
	if err != nil {
		return nil, st, err
	}
	findings, err := firstSeen(ctx, dir, hits)
	if err != nil {
		return nil, st, err
	}
	// A secret in a file or folder name: reported with the commit that
	// added the first blob seen under that path, when it was added there.
	var named []string
	firstBlob := map[string]blob{}
	for _, b := range blobs {
		if strings.Contains(b.path, "zup_") {
			if _, ok := firstBlob[b.path]; !ok {
				firstBlob[b.path] = b
				named = append(named, b.path)
			}
		}
	}
	findings = withPathFindings(findings, named, func(path string) string {
		if in, err := introducedBy(ctx, dir, firstBlob[path]); err == nil && in.path == path {
			return in.commit
		}
		return ""
	})
	Sort(findings)
	return findings, st, nil
}

// listBlobs lists the blobs of the history: rev-list names every object
// reachable from a ref once, and cat-file --batch-check says which are
// blobs and how large. It also counts the blobs too large to read and the
// objects missing from the repository.
func listBlobs(ctx context.Context, dir string, ex excluder) (blobs []blob, large, missing int, err error) {
	revList := gitCommand(ctx, dir, append([]string{"rev-list", "--objects"}, append(historyRefs, "--missing=print")...)...)
	check := gitCommand(ctx, dir, "cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize) %(rest)")
	pipe, err := revList.StdoutPipe()
	if err != nil {
		return nil, 0, 0, err
	}
	var revErr, checkErr bytes.Buffer
	revList.Stderr = &revErr
	check.Stdin = pipe
	check.Stderr = &checkErr
	out, err := check.StdoutPipe()
	if err != nil {
		return nil, 0, 0, err
	}
	if err := revList.Start(); err != nil {
		return nil, 0, 0, err
	}
	if err := check.Start(); err != nil {
		_ = revList.Wait()
		return nil, 0, 0, err
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// "<id> <type> <size> <path>"; the path may hold spaces.
		fields := strings.SplitN(sc.Text(), " ", 4)
		if len(fields) == 2 && fields[1] == "missing" {
			missing++
			continue
		}
		if len(fields) < 3 || fields[1] != "blob" {
			continue
		}
		size, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			continue
		}
		b := blob{id: fields[0], size: size}
		if len(fields) == 4 {
			b.path = fields[3]
		}
		if ex.excluded(b.path, false) {
			continue
		}
		if size > MaxFileSize {
			large++
			continue
		}
		blobs = append(blobs, b)
	}
	scanErr := sc.Err()
	if err := revList.Wait(); err != nil {
		return nil, 0, 0, fmt.Errorf("git rev-list --objects: %w: %s", err, strings.TrimSpace(revErr.String()))
	}
	if err := check.Wait(); err != nil {
		return nil, 0, 0, fmt.Errorf("git cat-file --batch-check: %w: %s", err, strings.TrimSpace(checkErr.String()))
	}
	return blobs, large, missing, scanErr
}

// blobHit is a secret found in a blob.
type blobHit struct {
	blob blob
	hit  hit
}

// readBlobs reads the blobs through one `git cat-file --batch` and scans
// them on one worker per CPU.
func readBlobs(ctx context.Context, dir string, blobs []blob, workers int) ([]blobHit, Stats, error) {
	var st Stats
	if len(blobs) == 0 {
		return nil, st, nil
	}
	cmd := gitCommand(ctx, dir, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, st, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, st, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, st, err
	}
	go func() {
		w := bufio.NewWriter(stdin)
		for _, b := range blobs {
			fmt.Fprintln(w, b.id)
		}
		w.Flush()
		stdin.Close()
	}()

	type job struct {
		blob blob
		data []byte
	}
	jobs := make(chan job, 8)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		mu   sync.Mutex
		hits []blobHit
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			buf := make([]byte, chunkSize)
			var local []blobHit
			var ls Stats
			for j := range jobs {
				var binary bool
				buf, binary, _ = scanStream(bytes.NewReader(j.data), buf, true, func(h hit) {
					local = append(local, blobHit{blob: j.blob, hit: h})
				})
				if binary {
					ls.Binary++
				} else {
					ls.Files++
					ls.Bytes += int64(len(j.data))
				}
			}
			mu.Lock()
			hits = append(hits, local...)
			st.add(ls)
			mu.Unlock()
		})
	}

	r := bufio.NewReaderSize(stdout, 1<<20)
	readErr := func() error {
		defer close(jobs)
		for _, b := range blobs {
			header, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("git cat-file --batch: %w", err)
			}
			// "<id> blob <size>", or "<id> missing".
			fields := strings.Fields(header)
			if len(fields) != 3 {
				continue
			}
			size, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil {
				return fmt.Errorf("git cat-file --batch: bad header %q", header)
			}
			data := make([]byte, size)
			if _, err := io.ReadFull(r, data); err != nil {
				return fmt.Errorf("git cat-file --batch: %w", err)
			}
			if _, err := r.Discard(1); err != nil { // the newline after the content
				return fmt.Errorf("git cat-file --batch: %w", err)
			}
			select {
			case jobs <- job{blob: b, data: data}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}()
	wg.Wait()
	_, _ = io.Copy(io.Discard, stdout)
	waitErr := cmd.Wait()
	if readErr != nil {
		return nil, st, readErr
	}
	if waitErr != nil {
		return nil, st, fmt.Errorf("git cat-file --batch: %w: %s", waitErr, strings.TrimSpace(stderr.String()))
	}
	return hits, st, nil
}

// introduction is where a blob first entered the history.
type introduction struct {
	commit string
	path   string
	rank   int64 // place of the commit in the history, oldest first
}

// firstSeen turns blob hits into findings, one per secret: the occurrence
// in the blob that entered the history first, at the commit that added it.
func firstSeen(ctx context.Context, dir string, hits []blobHit) ([]Finding, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	// Commits in topological order, oldest first: commit times tie (and
	// lie), this order does not.
	out, err := gitCommand(ctx, dir, append(append([]string{"rev-list"}, historyRefs...), "--topo-order", "--reverse")...).Output()
	if err != nil {
		return nil, fmt.Errorf("git rev-list --all: %w", err)
	}
	rank := map[string]int64{}
	for i, c := range strings.Fields(string(out)) {
		rank[c] = int64(i)
	}
	intro := map[string]introduction{}
	best := map[string]Finding{}
	var order []string
	for _, h := range hits {
		in, ok := intro[h.blob.id]
		if !ok {
			var err error
			if in, err = introducedBy(ctx, dir, h.blob); err != nil {
				return nil, err
			}
			in.rank = math.MaxInt64
			if r, ok := rank[in.commit]; ok {
				in.rank = r
			}
			intro[h.blob.id] = in
		}
		f := newFinding(in.path, h.hit)
		f.Commit, f.blob, f.rank = in.commit, h.blob.id, in.rank
		cur, seen := best[h.hit.secret]
		if !seen {
			order = append(order, h.hit.secret)
		}
		if !seen || earlier(f, cur) {
			best[h.hit.secret] = f
		}
	}
	found := make([]Finding, 0, len(order))
	for _, s := range order {
		found = append(found, best[s])
	}
	return found, nil
}

// earlier reports whether a is reported before b when both are the same
// secret: the commit that comes first in the history (topological order,
// oldest first), then the path in byte order, then the line and column. The
// blobs are read in parallel, so without the tie-breaks a secret that one
// commit added to two files would be reported at either, from run to run.
func earlier(a, b Finding) bool {
	return cmp.Or(cmp.Compare(a.rank, b.rank), strings.Compare(a.Path, b.Path),
		cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column)) < 0
}

// introducedBy finds the earliest commit that added blob b, and the path it
// was added under, with `git log --find-object`. Merges are diffed against
// each parent (-m), so a blob only a merge brought in is found too.
func introducedBy(ctx context.Context, dir string, b blob) (introduction, error) {
	args := append(append([]string{"log"}, historyRefs...), "-m", "--no-renames", "--topo-order", "--reverse",
		"--format=commit %H", "--raw", "--no-abbrev", "--find-object="+b.id)
	out, err := gitCommand(ctx, dir, args...).Output()
	if err != nil {
		return introduction{}, fmt.Errorf("git log --find-object=%s: %w", b.id, err)
	}
	var in introduction
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "commit "); ok {
			in.commit = strings.TrimSpace(rest)
			continue
		}
		// ":<mode> <mode> <old id> <new id> <status>\t<path>"
		meta, path, ok := strings.Cut(line, "\t")
		if !ok || in.commit == "" {
			continue
		}
		if fields := strings.Fields(meta); len(fields) >= 4 && fields[3] == b.id {
			in.path = path
			return in, nil
		}
	}
	// The object walk reached the blob but no diff shows it added: report
	// the walk's path, without a commit.
	return introduction{path: b.path}, nil
}
