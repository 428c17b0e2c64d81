// Package gitsrc gets a task's repository onto disk.
//
// A repository is a git URL or a local folder:
//
//   - https://, http://, ssh://, git:// and scp-style user@host:path URLs are
//     remote. The Cache keeps one bare clone per URL under its directory,
//     fetches before every task, and gives each task a fresh working tree of
//     the requested branch (the remote's default branch when none is given).
//   - file:// URLs, and absolute paths to a git repository (a directory
//     with a .git, or a bare repository), are read directly; each task gets
//     a working tree of the requested branch's committed state. Uncommitted
//     changes in such a repository are not seen.
//   - Any other absolute path to a directory is a local folder, used in
//     place: no copy, no git.
//
// Everything is done with the git command: the package needs the git binary
// (and ssh for ssh URLs) on PATH. git runs isolated from the user's and the
// system's git and ssh configuration. A task's working tree is a standalone repository:
// a .git with the branch's full history, the branch checked out, and an
// "origin" remote naming the URL without credentials. Submodules, tags and
// Git LFS content are not fetched.
//
// Credentials come from the repository's access key: an SSH private key
// (with its passphrase, and Login as the SSH user, default the URL's user,
// else "git") for ssh URLs, login and password for HTTP basic auth on
// http(s) URLs (or SSH password auth on ssh URLs). They never appear on a
// command line: they reach git and ssh through files in a private
// temporary directory (the key, an askpass helper) and environment
// variables of the git process, and are removed after each Prepare. SSH
// host keys are checked against Config.KnownHostsFile when one is set;
// otherwise any host key is accepted and a warning is logged once per
// Cache.
//
// Errors caused by the repository or access to it (not found, bad
// credentials, unknown branch, unreachable host, timeout) wrap ErrRepository
// and are one line naming the URL. No error or log line contains a password,
// key or passphrase; credentials embedded in a URL are masked.
package gitsrc
