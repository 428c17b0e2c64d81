package gitsrc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage"
)

// checkout writes a standalone repository into dest with commit checked
// out: the commit's history copied from src, the branch (if any) at the
// commit and tracking origin, HEAD on the branch (or detached at the commit
// when branch is empty). dest comes from prepareDest. Errors are internal:
// src is expected to be whole.
func checkout(ctx context.Context, src storage.Storer, commit plumbing.Hash, branch, origin, dest string) (Workspace, error) {
	c, err := object.GetCommit(src, commit)
	if err != nil {
		return Workspace{}, fmt.Errorf("read commit %s: %w", commit, err)
	}
	objs, shallow, err := history(ctx, src, commit)
	if err != nil {
		return Workspace{}, err
	}

	head := plumbing.Main
	if branch != "" {
		head = plumbing.NewBranchReferenceName(branch)
	}
	r, err := git.PlainInitWithOptions(dest, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: head}})
	if err != nil {
		return Workspace{}, fmt.Errorf("create repository in %s: %w", dest, err)
	}
	if err := copyObjects(src, r.Storer, objs); err != nil {
		return Workspace{}, err
	}
	if len(shallow) > 0 {
		if err := r.Storer.SetShallow(shallow); err != nil {
			return Workspace{}, fmt.Errorf("write shallow list: %w", err)
		}
	}

	refs := []*plumbing.Reference{plumbing.NewHashReference(plumbing.HEAD, commit)}
	if branch != "" {
		refs = []*plumbing.Reference{
			plumbing.NewHashReference(head, commit),
			plumbing.NewHashReference(plumbing.NewRemoteReferenceName("origin", branch), commit),
			plumbing.NewSymbolicReference(plumbing.HEAD, head),
		}
	}
	for _, ref := range refs {
		if err := r.Storer.SetReference(ref); err != nil {
			return Workspace{}, fmt.Errorf("write reference %s: %w", ref.Name(), err)
		}
	}
	cfg, err := r.Config()
	if err != nil {
		return Workspace{}, fmt.Errorf("read repository config: %w", err)
	}
	cfg.Remotes["origin"] = &config.RemoteConfig{
		Name:  "origin",
		URLs:  []string{origin},
		Fetch: []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*"},
	}
	if branch != "" {
		cfg.Branches[branch] = &config.Branch{Name: branch, Remote: "origin", Merge: head}
	}
	if err := r.SetConfig(cfg); err != nil {
		return Workspace{}, fmt.Errorf("write repository config: %w", err)
	}

	wt, err := r.Worktree()
	if err != nil {
		return Workspace{}, fmt.Errorf("open worktree: %w", err)
	}
	if err := wt.Reset(&git.ResetOptions{Commit: commit, Mode: git.HardReset}); err != nil {
		return Workspace{}, fmt.Errorf("check out files: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Workspace{}, err
	}
	return Workspace{Dir: dest, Branch: branch, Commit: commit.String(), Message: subject(c.Message)}, nil
}

// prepareDest checks that dest is free for a new repository (missing or an
// empty directory), creates it and returns its absolute path.
func prepareDest(dest string) (string, error) {
	if dest == "" {
		return "", errors.New("no destination directory")
	}
	dest, err := filepath.Abs(dest)
	if err != nil {
		return "", fmt.Errorf("destination: %w", err)
	}
	entries, err := os.ReadDir(dest)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return "", fmt.Errorf("create destination: %w", err)
		}
	case err != nil:
		return "", fmt.Errorf("destination: %w", err)
	case len(entries) > 0:
		return "", fmt.Errorf("destination %s is not empty", dest)
	}
	return dest, nil
}

// history lists the objects reachable from commit: commits, trees and
// blobs, without submodule commits. Parents of commits in src's shallow
// list are not followed; those commits are returned as shallow.
func history(ctx context.Context, src storage.Storer, commit plumbing.Hash) (objs, shallow []plumbing.Hash, err error) {
	isShallow := make(map[plumbing.Hash]bool)
	if sh, err := src.Shallow(); err == nil {
		for _, h := range sh {
			isShallow[h] = true
		}
	}
	seen := make(map[plumbing.Hash]bool)
	commits := []plumbing.Hash{commit}
	var trees []plumbing.Hash
	for n := 0; len(commits) > 0; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		h := commits[len(commits)-1]
		commits = commits[:len(commits)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		c, err := object.GetCommit(src, h)
		if err != nil {
			return nil, nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		objs = append(objs, h)

		trees = append(trees[:0], c.TreeHash)
		for len(trees) > 0 {
			th := trees[len(trees)-1]
			trees = trees[:len(trees)-1]
			if seen[th] {
				continue
			}
			seen[th] = true
			t, err := object.GetTree(src, th)
			if err != nil {
				return nil, nil, fmt.Errorf("read tree %s: %w", th, err)
			}
			objs = append(objs, th)
			for _, e := range t.Entries {
				switch {
				case e.Mode == filemode.Submodule: // a commit of another repository
				case e.Mode == filemode.Dir:
					trees = append(trees, e.Hash)
				case !seen[e.Hash]:
					seen[e.Hash] = true
					objs = append(objs, e.Hash)
				}
			}
		}

		if isShallow[h] {
			shallow = append(shallow, h)
			continue
		}
		commits = append(commits, c.ParentHashes...)
	}
	return objs, shallow, nil
}

// copyObjects writes objs from src into dst as one packfile.
func copyObjects(src storer.EncodedObjectStorer, dst storer.Storer, objs []plumbing.Hash) error {
	pw, ok := dst.(storer.PackfileWriter)
	if !ok {
		return errors.New("copy objects: storage cannot write packfiles")
	}
	w, err := pw.PackfileWriter()
	if err != nil {
		return fmt.Errorf("copy objects: %w", err)
	}
	// No delta search (window 0): it would cost far more CPU than the disk
	// it saves in a working copy that lives for one task.
	_, err = packfile.NewEncoder(w, src, false).Encode(objs, 0)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy objects: %w", err)
	}
	return nil
}

// subject returns the first line of a commit message.
func subject(msg string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return strings.TrimSpace(line)
}
