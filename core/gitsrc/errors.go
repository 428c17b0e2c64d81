package gitsrc

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/signalbox/signalbox/core/secretbox"
)

// ErrRepository marks a problem with a repository or with access to it: bad
// URL, not found, bad credentials, unknown branch, unreachable host,
// timeout. The message says what, for the user to fix. Errors without it
// are internal (disk full, corrupt cache, canceled context).
var ErrRepository = errors.New("repository error")

// repoError is an ErrRepository with a scrubbed, one-line message. It does
// not keep the error it describes: that one may quote secrets.
type repoError struct{ msg string }

func (e *repoError) Error() string { return e.msg }
func (e *repoError) Unwrap() error { return ErrRepository }

func repoErrorf(format string, args ...any) error {
	return &repoError{msg: oneLine(fmt.Sprintf(format, args...))}
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\r\n") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return s
}

// scrubber masks a source's secrets in text bound for an error or a log.
type scrubber struct {
	raw, shown string
	red        *secretbox.Redactor
}

func newScrubber(src Source, loc location) scrubber {
	secrets := []string{src.Key.Password, src.Key.Passphrase, src.Key.PrivateKey}
	if u, err := url.Parse(loc.raw); err == nil && u.User != nil {
		cred, ok := u.User.Password()
		if !ok && isHTTP(u.Scheme) {
			cred = u.User.Username()
		}
		if cred != "" {
			// git and net/url print it escaped; mask every spelling.
			secrets = append(secrets, cred, url.PathEscape(cred), url.QueryEscape(cred), url.UserPassword("", cred).String()[1:])
		}
	}
	if src.Key.Password != "" {
		secrets = append(secrets, url.PathEscape(src.Key.Password), url.QueryEscape(src.Key.Password))
	}
	return scrubber{raw: loc.raw, shown: loc.shown, red: secretbox.NewRedactor(secrets...)}
}

func (s scrubber) text(t string) string {
	if s.raw != s.shown {
		t = strings.ReplaceAll(t, s.raw, s.shown)
	}
	return s.red.Redact(t)
}

// describeGit turns the standard error of a failed git command (run with
// LC_ALL=C) into a short, readable cause: the known failures by name,
// anything else as git's last complaint. The text is not scrubbed yet.
func describeGit(stderr string) string {
	lower := strings.ToLower(stderr)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(lower, strings.ToLower(s)) {
				return true
			}
		}
		return false
	}
	switch {
	case has("REMOTE HOST IDENTIFICATION HAS CHANGED", "Offending "):
		return "ssh host key does not match the known_hosts file (possible man-in-the-middle attack)"
	case has("host key is known for", "Host key verification failed"):
		return "ssh host key is not in the known_hosts file"
	case has("Permission denied (", "Too many authentication failures", "no more authentication methods"):
		return "ssh: unable to authenticate: permission denied"
	case has("Authentication failed for", "could not read Username", "could not read Password", "returned error: 401"):
		return "authentication required"
	case has("returned error: 403"):
		return "authorization failed"
	case has("Could not resolve host", "Name or service not known", "Temporary failure in name resolution", "unable to look up"):
		return "host not found"
	case has("Connection refused"):
		return "connection refused"
	case has("No route to host", "Network is unreachable"):
		return "host unreachable"
	case has("timed out", "Connection timeout"):
		return "connection timed out"
	case has("repository not found", "does not appear to be a git repository", "returned error: 404", "could not be found") ||
		(has("repository '") && has("' not found")):
		return "repository not found"
	}
	if last := lastComplaint(stderr); last != "" {
		return last
	}
	return "git failed"
}

// lastComplaint returns git's last "fatal:" or "error:" line without its
// prefix, else the last line, at most 300 bytes.
func lastComplaint(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := ""
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		if rest, ok := strings.CutPrefix(line, "fatal: "); ok {
			last = rest
			break
		}
		if rest, ok := strings.CutPrefix(line, "error: "); ok {
			last = rest
			break
		}
		if last == "" {
			last = line
		}
	}
	// "unable to access 'URL': cause": the URL is already in our message.
	if rest, ok := strings.CutPrefix(last, "unable to access '"); ok {
		if _, cause, ok := strings.Cut(rest, "': "); ok {
			last = cause
		}
	}
	if len(last) > 300 {
		last = last[:300] + "..."
	}
	return last
}

// describeKeyError explains why an SSH private key cannot be used.
func describeKeyError(err error) error {
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return errors.New("the private key is encrypted and the access key has no passphrase")
	case errors.Is(err, x509.IncorrectPasswordError):
		return errors.New("wrong passphrase for the private key")
	}
	return errors.New("cannot parse the private key: " + err.Error())
}
