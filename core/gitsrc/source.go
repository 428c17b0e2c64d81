package gitsrc

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/signalbox/signalbox/core/model"
)

// Source is a repository as a task needs it.
type Source struct {
	// URL is a git URL or an absolute local path (see the package doc).
	URL string
	// Branch is the branch to check out; empty means the repository's
	// default branch (its HEAD). Ignored for a local folder.
	Branch string
	// KeyType says what Key holds; empty is the same as model.KeyNone.
	KeyType model.KeyType
	// Key is the decrypted secret of the repository's access key.
	Key model.KeySecret
}

// Workspace is a prepared repository.
type Workspace struct {
	// Dir is where the task runs: the dest given to Prepare, or the local
	// folder itself.
	Dir string
	// Branch is the branch checked out, resolved when Source.Branch was
	// empty; empty for a local folder or a detached HEAD.
	Branch string
	// Commit is the full hash of the checked-out commit; empty for a local
	// folder.
	Commit string
	// Message is the first line of the commit's message.
	Message string
	// Local reports a local folder used in place; Dir must not be deleted.
	Local bool
}

type locationKind int

const (
	kindRemote   locationKind = iota // fetched over the network into the cache
	kindLocalGit                     // a git repository on this machine, read directly
	kindFolder                       // a plain folder, used in place
)

// location is a parsed Source.URL.
type location struct {
	kind locationKind
	// raw is the URL as given; it may hold credentials.
	raw string
	// shown is raw with credentials masked: for errors, logs and the cache key.
	shown string
	// origin is the URL without credentials, for the workspace's origin remote.
	origin string
	// path is the local path, for kindLocalGit and kindFolder.
	path string
	// ep is the parsed remote endpoint, for kindRemote.
	ep *transport.Endpoint
}

// parseLocation classifies a repository URL. It touches the file system for
// local paths only.
func parseLocation(raw string) (location, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return location{}, repoErrorf("repository url is empty")
	}
	loc := location{raw: raw, shown: redactURL(raw), origin: stripCredentials(raw)}

	if scheme, _, ok := strings.Cut(raw, "://"); ok {
		switch strings.ToLower(scheme) {
		case "http", "https", "ssh", "git":
			ep, err := transport.NewEndpoint(raw)
			if err != nil {
				return location{}, repoErrorf("repository url %s: cannot parse", loc.shown)
			}
			loc.kind, loc.ep = kindRemote, ep
			return loc, nil
		case "file":
			u, err := url.Parse(raw)
			if err != nil || (u.Host != "" && u.Host != "localhost") || !filepath.IsAbs(u.Path) {
				return location{}, repoErrorf("repository url %s: want file:///absolute/path", loc.shown)
			}
			loc.kind, loc.path = kindLocalGit, filepath.Clean(u.Path)
			return loc, nil
		default:
			return location{}, repoErrorf("repository url %s: unsupported scheme %q", loc.shown, scheme)
		}
	}

	if filepath.IsAbs(raw) {
		loc.path = filepath.Clean(raw)
		fi, err := os.Stat(loc.path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return location{}, repoErrorf("local folder %s does not exist", loc.path)
		case err != nil:
			return location{}, repoErrorf("local folder %s: %v", loc.path, errors.Unwrap(err))
		case !fi.IsDir():
			return location{}, repoErrorf("local folder %s is not a directory", loc.path)
		}
		_, err = git.PlainOpenWithOptions(loc.path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
		if err == nil {
			loc.kind = kindLocalGit
		} else {
			loc.kind = kindFolder
		}
		return loc, nil
	}

	// What is left must be scp-style: [user@]host:path.
	if ep, err := transport.NewEndpoint(raw); err == nil && ep.Protocol == "ssh" {
		loc.kind, loc.ep = kindRemote, ep
		return loc, nil
	}
	return location{}, repoErrorf("repository url %s: want a git url (https://, ssh://, git@host:path, file://) or an absolute path", loc.shown)
}

// redactURL masks the credentials in a URL: a password wherever it is, and
// for http(s) a user name without a password too, since that is how access
// tokens are often given (https://TOKEN@host/repo). SSH user names stay.
func redactURL(raw string) string {
	return rewriteUserinfo(raw, func(scheme string, u *url.Userinfo) *url.Userinfo {
		pass, hasPass := u.Password()
		switch {
		case hasPass && pass != "":
			return url.UserPassword(u.Username(), "xxxxx")
		case isHTTP(scheme) && u.Username() != "":
			return url.User("xxxxx")
		}
		return u
	})
}

// stripCredentials removes what redactURL would mask.
func stripCredentials(raw string) string {
	return rewriteUserinfo(raw, func(scheme string, u *url.Userinfo) *url.Userinfo {
		if isHTTP(scheme) {
			return nil
		}
		return url.User(u.Username())
	})
}

func isHTTP(scheme string) bool {
	scheme = strings.ToLower(scheme)
	return scheme == "http" || scheme == "https"
}

// rewriteUserinfo applies fn to the user info of a URL with a scheme.
// Scp-style URLs and paths have no password and come back unchanged. A URL
// that does not parse loses everything between "://" and the last "@" of
// its authority, as a precaution.
func rewriteUserinfo(raw string, fn func(scheme string, u *url.Userinfo) *url.Userinfo) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		authority, path, _ := strings.Cut(rest, "/")
		if i := strings.LastIndex(authority, "@"); i >= 0 {
			authority = "xxxxx" + authority[i:]
		}
		if path != "" || strings.Contains(rest, "/") {
			return scheme + "://" + authority + "/" + path
		}
		return scheme + "://" + authority
	}
	if u.User == nil {
		return raw
	}
	u.User = fn(scheme, u.User)
	return u.String()
}
