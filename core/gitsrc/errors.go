package gitsrc

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

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
			// go-git and net/url print it escaped; mask every spelling.
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

// describe turns a go-git or SSH error into a short, readable cause.
func describe(err error) string {
	var (
		keyErr *knownhosts.KeyError
		urlErr *url.Error
	)
	switch {
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return "repository not found"
	case errors.Is(err, transport.ErrAuthenticationRequired):
		return "authentication required"
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return "authorization failed"
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return "repository is empty"
	case errors.Is(err, transport.ErrInvalidAuthMethod):
		return "the access key does not fit this url"
	case errors.As(err, &keyErr):
		if len(keyErr.Want) == 0 {
			return "ssh host key is not in the known_hosts file"
		}
		return "ssh host key does not match the known_hosts file (possible man-in-the-middle attack)"
	case errors.As(err, &urlErr):
		// net/http's "Get <url>: <cause>": the URL is already in our message.
		return urlErr.Err.Error()
	}
	return err.Error()
}

// describeKeyError explains why an SSH private key cannot be used.
func describeKeyError(err error) string {
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return "the private key is encrypted and the access key has no passphrase"
	case errors.Is(err, x509.IncorrectPasswordError):
		return "wrong passphrase for the private key"
	}
	return "cannot parse the private key: " + err.Error()
}
