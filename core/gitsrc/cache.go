package gitsrc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// DefaultTimeout bounds the network part of one Prepare.
const DefaultTimeout = 5 * time.Minute

// Config configures a Cache.
type Config struct {
	// Dir is where the clones of remote repositories are cached, one bare
	// repository per URL. Required for remote repositories; created with
	// 0700 when missing.
	Dir string
	// Log receives the Cache's log lines, under the name "gitsrc". Default:
	// no logging.
	Log hclog.Logger
	// Timeout bounds the network part (listing and fetching) of one
	// Prepare. Default: DefaultTimeout (5 minutes).
	Timeout time.Duration
	// KnownHostsFile is an OpenSSH known_hosts file to verify SSH host keys
	// with. Default: empty, which accepts any host key and logs a warning
	// once: convenient, but open to a man-in-the-middle on the network path.
	KnownHostsFile string
}

// Cache prepares repositories for tasks and keeps the clones of remote
// ones. It is safe for concurrent use: Prepare calls for the same URL take
// turns, calls for different URLs run in parallel. One Cache should own its
// Dir; two processes sharing a Dir may corrupt it.
type Cache struct {
	dir        string
	log        hclog.Logger
	timeout    time.Duration
	knownHosts string

	warnHostKeys sync.Once

	mu    sync.Mutex
	locks map[string]chan struct{} // per cache key; a full channel is a held lock
}

// New returns a Cache. It does no I/O: the directory is created on first
// use.
func New(cfg Config) *Cache {
	c := &Cache{
		dir:        cfg.Dir,
		log:        hclog.NewNullLogger(),
		timeout:    cfg.Timeout,
		knownHosts: cfg.KnownHostsFile,
		locks:      make(map[string]chan struct{}),
	}
	if cfg.Log != nil {
		c.log = cfg.Log.Named("gitsrc")
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c
}

// Prepare makes src ready for a task.
//
// For a git source it writes a working tree of the branch into dest, which
// must not exist or be an empty directory; the caller owns dest and deletes
// it after the task, even when Prepare fails. A remote repository is
// fetched first, so every task sees the branch as it is now.
//
// For a local folder it returns the folder itself (Workspace.Local) and
// leaves dest alone.
//
// Errors the user can fix wrap ErrRepository (see the package doc). When
// ctx ends, the error wraps ctx.Err().
func (c *Cache) Prepare(ctx context.Context, src Source, dest string) (Workspace, error) {
	loc, err := parseLocation(src.URL)
	if err != nil {
		return Workspace{}, err
	}
	if loc.kind == kindFolder {
		return Workspace{Dir: loc.path, Local: true}, nil
	}
	// Check dest before any network work.
	if dest, err = prepareDest(dest); err != nil {
		return Workspace{}, fmt.Errorf("prepare workspace: %w", err)
	}
	switch loc.kind {
	case kindLocalGit:
		return c.prepareLocalGit(ctx, src, loc, dest)
	default:
		return c.prepareRemote(ctx, src, loc, dest)
	}
}

// prepareLocalGit clones the committed state of a repository on this
// machine into dest.
func (c *Cache) prepareLocalGit(ctx context.Context, src Source, loc location, dest string) (Workspace, error) {
	gd, ok := gitDir(loc.path)
	if !ok {
		return Workspace{}, repoErrorf("clone %s: repository not found", loc.shown)
	}
	s, err := newSession()
	if err != nil {
		return Workspace{}, err
	}
	defer s.close()

	branch := strings.TrimPrefix(src.Branch, "refs/heads/")
	if branch != "" {
		if _, err := s.revParse(ctx, gd, "refs/heads/"+branch); err != nil {
			if ctx.Err() != nil {
				return Workspace{}, fmt.Errorf("clone %s: %w", loc.shown, ctx.Err())
			}
			return Workspace{}, repoErrorf("branch %q not found in %s", branch, loc.shown)
		}
	} else {
		// The branch HEAD is on, or none for a detached HEAD.
		if out, err := s.git(ctx, "--git-dir="+gd, "symbolic-ref", "--quiet", "HEAD"); err == nil {
			branch = strings.TrimPrefix(strings.TrimSpace(out), "refs/heads/")
		}
		if _, err := s.revParse(ctx, gd, "HEAD"); err != nil {
			if ctx.Err() != nil {
				return Workspace{}, fmt.Errorf("clone %s: %w", loc.shown, ctx.Err())
			}
			if strings.Contains(stderrOf(err), "not a git repository") {
				return Workspace{}, repoErrorf("clone %s: repository not found", loc.shown)
			}
			return Workspace{}, repoErrorf("clone %s: repository is empty", loc.shown)
		}
	}
	ws, err := s.cloneWorkspace(ctx, loc.path, branch, loc.origin, dest)
	if err != nil {
		return Workspace{}, fmt.Errorf("check out %s: %w", loc.shown, err)
	}
	c.log.Debug("repository prepared", "url", loc.shown, "branch", ws.Branch, "commit", ws.Commit)
	return ws, nil
}

// prepareRemote brings the cached clone of a remote repository up to date
// and clones the branch from it into dest.
func (c *Cache) prepareRemote(ctx context.Context, src Source, loc location, dest string) (ws Workspace, err error) {
	if c.dir == "" {
		return Workspace{}, errors.New("prepare repository: no cache directory configured")
	}
	s, err := newSession()
	if err != nil {
		return Workspace{}, err
	}
	defer s.close()
	acc, err := c.authorize(s, src, loc)
	if err != nil {
		return Workspace{}, err
	}
	scrub := newScrubber(src, loc)

	unlock, err := c.lock(ctx, loc.shown)
	if err != nil {
		return Workspace{}, fmt.Errorf("wait for %s: %w", loc.shown, err)
	}
	defer unlock()

	start := time.Now()
	repoDir := filepath.Join(c.dir, cacheDirName(loc.shown))
	fresh, err := c.checkCache(repoDir)
	if err != nil {
		return Workspace{}, err
	}
	fetched := false
	defer func() {
		if err != nil && fresh && !fetched {
			// Leave no empty clone behind: the next try clones afresh.
			_ = os.RemoveAll(repoDir)
		}
	}()
	verb := "fetch"
	if fresh {
		verb = "clone"
	}

	netCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	netErr := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s: %w", verb, loc.shown, ctx.Err())
		}
		if netCtx.Err() != nil {
			return repoErrorf("%s %s: timed out after %s", verb, loc.shown, c.timeout)
		}
		if stderr := stderrOf(err); stderr != "" {
			return repoErrorf("%s %s: %s", verb, loc.shown, scrub.text(describeGit(stderr)))
		}
		return fmt.Errorf("%s %s: %s", verb, loc.shown, scrub.text(err.Error())) // git did not run
	}
	out, err := s.git(netCtx, "ls-remote", "--symref", "--", acc.url, "HEAD", "refs/heads/*")
	c.warnUnverified(acc)
	if err != nil {
		return Workspace{}, netErr(err)
	}
	branch, hash, err := pickBranch(parseRefs(out), src.Branch, loc.shown)
	if err != nil {
		return Workspace{}, err
	}
	gd := "--git-dir=" + repoDir
	if fresh {
		if _, err := s.git(ctx, "init", "--quiet", "--bare", "--", repoDir); err != nil {
			return Workspace{}, fmt.Errorf("create cache %s: %w", repoDir, err)
		}
	}
	if _, err := s.git(ctx, gd, "cat-file", "-e", hash+"^{commit}"); err == nil {
		// Already have the commit (and so its history): no transfer needed.
		if _, err := s.git(ctx, gd, "update-ref", "refs/heads/"+branch, hash); err != nil {
			return Workspace{}, fmt.Errorf("update cache of %s: %w", loc.shown, err)
		}
	} else {
		_, err := s.git(netCtx, gd, "fetch", "--quiet", "--prune", "--no-tags", "--no-auto-gc", "--",
			acc.url, "+refs/heads/*:refs/heads/*")
		c.warnUnverified(acc)
		if err != nil {
			return Workspace{}, netErr(err)
		}
		if _, err := s.revParse(ctx, repoDir, "refs/heads/"+branch); err != nil {
			return Workspace{}, repoErrorf("%s %s: branch %q was not fetched", verb, loc.shown, branch)
		}
	}
	cancel()
	fetched = true
	fetchTime := time.Since(start)

	ws, err = s.cloneWorkspace(ctx, repoDir, branch, loc.origin, dest)
	if err != nil {
		if ctx.Err() == nil && !fresh {
			c.log.Warn("cached clone is unusable; it will be cloned again", "url", loc.shown, "dir", repoDir, "error", err)
			_ = os.RemoveAll(repoDir)
		}
		return Workspace{}, fmt.Errorf("check out %s: %w", loc.shown, err)
	}
	c.gc(ctx, s, repoDir)
	c.log.Debug("repository prepared", "url", loc.shown, "branch", branch, "commit", ws.Commit,
		"cloned", fresh, "fetch_time", fetchTime, "total_time", time.Since(start))
	return ws, nil
}

// checkCache reports whether the bare clone in dir is missing (fresh) and
// must be created. A directory that is not a bare repository is removed.
func (c *Cache) checkCache(dir string) (fresh bool, err error) {
	if gd, ok := gitDir(dir); ok && gd == dir {
		return false, nil
	}
	if _, err := os.Stat(dir); err == nil {
		c.log.Warn("cached clone is unreadable; it will be cloned again", "dir", dir)
		if err := os.RemoveAll(dir); err != nil {
			return false, fmt.Errorf("remove broken cache %s: %w", dir, err)
		}
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return false, fmt.Errorf("create cache directory: %w", err)
	}
	return true, nil
}

// gc packs the cached clone when git thinks it is time. Fetches skip it
// so as not to spend their time limit on it; failures are only logged.
func (c *Cache) gc(ctx context.Context, s *session, repoDir string) {
	if _, err := s.git(ctx, "--git-dir="+repoDir, "gc", "--auto", "--quiet"); err != nil && ctx.Err() == nil {
		c.log.Warn("cached clone could not be packed", "dir", repoDir, "error", err)
	}
}

// lock takes the lock of one cache entry, waiting until it is free or ctx
// ends. The returned func releases it.
func (c *Cache) lock(ctx context.Context, key string) (func(), error) {
	c.mu.Lock()
	ch, ok := c.locks[key]
	if !ok {
		ch = make(chan struct{}, 1)
		c.locks[key] = ch
	}
	c.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// cacheDirName names the cache entry of a URL (credentials masked).
func cacheDirName(shownURL string) string {
	sum := sha256.Sum256([]byte(shownURL))
	return hex.EncodeToString(sum[:16])
}

// ref is a reference of a remote repository, as git ls-remote --symref
// lists it: a hash, and for a symbolic reference (HEAD) its target.
type ref struct {
	name, hash, target string
}

// parseRefs parses the output of git ls-remote --symref.
func parseRefs(out string) []ref {
	var refs []ref
	byName := make(map[string]int)
	for line := range strings.Lines(out) {
		value, name, ok := strings.Cut(strings.TrimRight(line, "\r\n"), "\t")
		if !ok {
			continue
		}
		i, seen := byName[name]
		if !seen {
			i = len(refs)
			byName[name] = i
			refs = append(refs, ref{name: name})
		}
		if target, ok := strings.CutPrefix(value, "ref: "); ok {
			refs[i].target = target
		} else {
			refs[i].hash = value
		}
	}
	return refs
}

// pickBranch finds the branch to check out among a remote's references:
// the wanted one, or the one HEAD points to.
func pickBranch(refs []ref, want, shownURL string) (branch, hash string, err error) {
	byName := make(map[string]ref, len(refs))
	for _, r := range refs {
		byName[r.name] = r
	}
	if want = strings.TrimPrefix(want, "refs/heads/"); want != "" {
		r, ok := byName["refs/heads/"+want]
		if !ok || r.hash == "" || r.target != "" {
			return "", "", repoErrorf("branch %q not found in %s", want, shownURL)
		}
		return want, r.hash, nil
	}
	head, ok := byName["HEAD"]
	if !ok {
		if len(refs) == 0 {
			return "", "", repoErrorf("clone %s: repository is empty", shownURL)
		}
		return "", "", repoErrorf("%s has no HEAD: set a branch", shownURL)
	}
	if head.target != "" {
		name, isBranch := strings.CutPrefix(head.target, "refs/heads/")
		r, ok := byName[head.target]
		if !ok || !isBranch || r.hash == "" {
			return "", "", repoErrorf("default branch %q of %s has no commits: set a branch", name, shownURL)
		}
		return name, r.hash, nil
	}
	// An old server that does not say where HEAD points: take a branch at
	// the same commit, main or master first.
	var candidates []string
	for _, r := range refs {
		if name, ok := strings.CutPrefix(r.name, "refs/heads/"); ok && r.target == "" && r.hash == head.hash {
			candidates = append(candidates, name)
		}
	}
	slices.SortFunc(candidates, func(a, b string) int {
		rank := func(s string) int {
			switch s {
			case "main":
				return 0
			case "master":
				return 1
			}
			return 2
		}
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	if len(candidates) == 0 {
		return "", "", repoErrorf("cannot tell the default branch of %s: set a branch", shownURL)
	}
	return candidates[0], head.hash, nil
}
