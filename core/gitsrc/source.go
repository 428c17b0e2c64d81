package gitsrc

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"

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
	ep endpoint
}

// endpoint is a parsed remote URL.
type endpoint struct {
	// protocol is "http", "https", "ssh" or "git".
	protocol string
	// user is the user name in the URL, if any.
	user string
	// scpHostPath is what follows the user of a scp-style URL
	// (host:path); empty for URLs with a scheme.
	scpHostPath string
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
			u, err := url.Parse(raw)
			if err != nil || u.Hostname() == "" || strings.HasPrefix(u.Hostname(), "-") || strings.HasPrefix(u.User.Username(), "-") {
				return location{}, repoErrorf("repository url %s: cannot parse", loc.shown)
			}
			loc.kind = kindRemote
			loc.ep = endpoint{protocol: strings.ToLower(scheme), user: u.User.Username()}
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
		if _, ok := gitDir(loc.path); ok {
			loc.kind = kindLocalGit
		} else {
			loc.kind = kindFolder
		}
		return loc, nil
	}

	// What is left must be scp-style: [user@]host:path.
	if ep, ok := parseSCP(raw); ok {
		loc.kind, loc.ep = kindRemote, ep
		return loc, nil
	}
	return location{}, repoErrorf("repository url %s: want a git url (https://, ssh://, git@host:path, file://) or an absolute path", loc.shown)
}

// parseSCP parses a scp-style ssh URL, [user@]host:path, the way git
// does: a colon before any slash. A host or user starting with "-" is
// refused, as it would be read as an ssh option.
func parseSCP(raw string) (endpoint, bool) {
	user, hostPath := "", raw
	if colon := strings.Index(raw, ":"); colon >= 0 {
		if at := strings.LastIndex(raw[:colon], "@"); at >= 0 {
			user, hostPath = raw[:at], raw[at+1:]
		}
	}
	host, path := "", ""
	if strings.HasPrefix(hostPath, "[") { // [::1]:path
		end := strings.Index(hostPath, "]:")
		if end < 0 {
			return endpoint{}, false
		}
		host, path = hostPath[1:end], hostPath[end+2:]
	} else {
		var ok bool
		if host, path, ok = strings.Cut(hostPath, ":"); !ok || strings.Contains(host, "/") {
			return endpoint{}, false
		}
	}
	if host == "" || path == "" || strings.HasPrefix(host, "-") || strings.HasPrefix(user, "-") ||
		strings.ContainsAny(host, " \t@") || strings.ContainsAny(user, " \t") {
		return endpoint{}, false
	}
	return endpoint{protocol: "ssh", user: user, scpHostPath: hostPath}, true
}

// gitDir returns the git directory of the repository at path: path/.git
// (a directory, or a file pointing to one, as in a linked worktree), or
// path itself for a bare repository. A folder inside a repository's working
// tree is not a repository.
func gitDir(path string) (string, bool) {
	dotGit := filepath.Join(path, ".git")
	if fi, err := os.Stat(dotGit); err == nil && (fi.IsDir() || fi.Mode().IsRegular()) {
		return dotGit, true
	}
	head, errHead := os.Stat(filepath.Join(path, "HEAD"))
	objects, errObjects := os.Stat(filepath.Join(path, "objects"))
	refs, errRefs := os.Stat(filepath.Join(path, "refs"))
	if errHead == nil && errObjects == nil && errRefs == nil && head.Mode().IsRegular() && objects.IsDir() && refs.IsDir() {
		return path, true
	}
	return "", false
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
