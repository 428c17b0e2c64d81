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

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
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

func (c *Cache) prepareLocalGit(ctx context.Context, src Source, loc location, dest string) (Workspace, error) {
	repo, err := git.PlainOpenWithOptions(loc.path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) || errors.Is(err, os.ErrNotExist) {
			return Workspace{}, repoErrorf("clone %s: repository not found", loc.shown)
		}
		return Workspace{}, repoErrorf("clone %s: %s", loc.shown, newScrubber(src, loc).text(err.Error()))
	}
	branch := strings.TrimPrefix(src.Branch, "refs/heads/")
	var hash plumbing.Hash
	if branch != "" {
		ref, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
		if err != nil {
			return Workspace{}, repoErrorf("branch %q not found in %s", branch, loc.shown)
		}
		hash = ref.Hash()
	} else {
		head, err := repo.Storer.Reference(plumbing.HEAD)
		if err != nil {
			return Workspace{}, repoErrorf("clone %s: no HEAD", loc.shown)
		}
		if head.Type() == plumbing.SymbolicReference {
			branch = head.Target().Short()
		}
		ref, err := repo.Reference(plumbing.HEAD, true)
		if err != nil {
			return Workspace{}, repoErrorf("clone %s: repository is empty", loc.shown)
		}
		hash = ref.Hash()
	}
	ws, err := checkout(ctx, repo.Storer, hash, branch, loc.origin, dest)
	if err != nil {
		return Workspace{}, fmt.Errorf("check out %s: %w", loc.shown, err)
	}
	c.log.Debug("repository prepared", "url", loc.shown, "branch", ws.Branch, "commit", ws.Commit)
	return ws, nil
}

func (c *Cache) prepareRemote(ctx context.Context, src Source, loc location, dest string) (ws Workspace, err error) {
	if c.dir == "" {
		return Workspace{}, errors.New("prepare repository: no cache directory configured")
	}
	auth, err := c.auth(src, loc)
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
	repo, fresh, err := c.openCache(repoDir)
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
		return repoErrorf("%s %s: %s", verb, loc.shown, scrub.text(describe(err)))
	}
	remote := git.NewRemote(repo.Storer, &config.RemoteConfig{Name: "origin", URLs: []string{loc.raw}})
	refs, err := remote.ListContext(netCtx, &git.ListOptions{Auth: auth})
	if err != nil {
		return Workspace{}, netErr(err)
	}
	branch, hash, err := pickBranch(refs, src.Branch, loc.shown)
	if err != nil {
		return Workspace{}, err
	}
	tracking := plumbing.NewRemoteReferenceName("origin", branch)
	if repo.Storer.HasEncodedObject(hash) == nil {
		// Already have the commit (and so its history): no transfer needed.
		if err := repo.Storer.SetReference(plumbing.NewHashReference(tracking, hash)); err != nil {
			return Workspace{}, fmt.Errorf("update cache of %s: %w", loc.shown, err)
		}
	} else {
		spec := config.RefSpec(fmt.Sprintf("+%s:%s", plumbing.NewBranchReferenceName(branch), tracking))
		err := remote.FetchContext(netCtx, &git.FetchOptions{
			RefSpecs: []config.RefSpec{spec},
			Auth:     auth,
			Tags:     git.NoTags,
			Force:    true,
		})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return Workspace{}, netErr(err)
		}
		ref, err := repo.Storer.Reference(tracking)
		if err != nil {
			return Workspace{}, repoErrorf("%s %s: branch %q was not fetched", verb, loc.shown, branch)
		}
		hash = ref.Hash()
	}
	cancel()
	fetched = true
	fetchTime := time.Since(start)

	ws, err = checkout(ctx, repo.Storer, hash, branch, loc.origin, dest)
	if err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) && !fresh {
			c.log.Warn("cached clone is incomplete; it will be cloned again", "url", loc.shown, "dir", repoDir)
			_ = os.RemoveAll(repoDir)
		}
		return Workspace{}, fmt.Errorf("check out %s: %w", loc.shown, err)
	}
	c.log.Debug("repository prepared", "url", loc.shown, "branch", branch, "commit", ws.Commit,
		"cloned", fresh, "fetch_time", fetchTime, "total_time", time.Since(start))
	return ws, nil
}

// openCache opens the bare clone in dir, creating it if missing (fresh).
// A directory that is not a repository is replaced.
func (c *Cache) openCache(dir string) (repo *git.Repository, fresh bool, err error) {
	repo, err = git.PlainOpen(dir)
	if err == nil {
		return repo, false, nil
	}
	if _, statErr := os.Stat(dir); statErr == nil {
		c.log.Warn("cached clone is unreadable; it will be cloned again", "dir", dir, "error", err)
		if err := os.RemoveAll(dir); err != nil {
			return nil, false, fmt.Errorf("remove broken cache %s: %w", dir, err)
		}
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create cache directory: %w", err)
	}
	repo, err = git.PlainInit(dir, true)
	if err != nil {
		return nil, false, fmt.Errorf("create cache %s: %w", dir, err)
	}
	return repo, true, nil
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

// pickBranch finds the branch to check out among a remote's references:
// the wanted one, or the one HEAD points to.
func pickBranch(refs []*plumbing.Reference, want, shownURL string) (string, plumbing.Hash, error) {
	byName := make(map[plumbing.ReferenceName]*plumbing.Reference, len(refs))
	for _, r := range refs {
		byName[r.Name()] = r
	}
	if want = strings.TrimPrefix(want, "refs/heads/"); want != "" {
		r, ok := byName[plumbing.NewBranchReferenceName(want)]
		if !ok || r.Type() != plumbing.HashReference {
			return "", plumbing.ZeroHash, repoErrorf("branch %q not found in %s", want, shownURL)
		}
		return want, r.Hash(), nil
	}
	head, ok := byName[plumbing.HEAD]
	if !ok {
		if len(refs) == 0 {
			return "", plumbing.ZeroHash, repoErrorf("clone %s: repository is empty", shownURL)
		}
		return "", plumbing.ZeroHash, repoErrorf("%s has no HEAD: set a branch", shownURL)
	}
	if head.Type() == plumbing.SymbolicReference {
		r, ok := byName[head.Target()]
		if !ok || !head.Target().IsBranch() {
			return "", plumbing.ZeroHash, repoErrorf("default branch %q of %s has no commits: set a branch", head.Target().Short(), shownURL)
		}
		return head.Target().Short(), r.Hash(), nil
	}
	// An old server that does not say where HEAD points: take a branch at
	// the same commit, main or master first.
	var candidates []string
	for _, r := range refs {
		if r.Name().IsBranch() && r.Type() == plumbing.HashReference && r.Hash() == head.Hash() {
			candidates = append(candidates, r.Name().Short())
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
		return "", plumbing.ZeroHash, repoErrorf("cannot tell the default branch of %s: set a branch", shownURL)
	}
	return candidates[0], head.Hash(), nil
}
