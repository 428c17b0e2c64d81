package gitsrc

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/signalbox/signalbox/core/model"
)

// Names of the files in a session's scratch directory.
const (
	keyFile           = "id_key"
	askpassFile       = "askpass"
	unverifiedHostsDB = "known_hosts"
)

// Environment variables that carry credentials to the askpass helper. Only
// git's own processes (and the user the server runs as) can read them.
const (
	envUsername = "SIGNALBOX_GIT_USERNAME"
	envSecret   = "SIGNALBOX_GIT_SECRET"
)

// askpassScript answers credential requests from the environment. It is
// both a git credential helper ("get"; it answers on stdout, never on its
// command line) and the SSH_ASKPASS program of ssh (key passphrase or
// password prompts). Any other prompt, such as a host key confirmation, is
// refused.
const askpassScript = `#!/bin/sh
# Written by signalbox for one git operation; removed after it.
case "$1" in
get)
	cat >/dev/null
	printf 'username=%s\npassword=%s\n' "$` + envUsername + `" "$` + envSecret + `" ;;
store|erase)
	cat >/dev/null ;;
*assword*|*assphrase*)
	printf '%s\n' "$` + envSecret + `" ;;
*)
	exit 1 ;;
esac
`

// remoteAccess is how git reaches a remote repository.
type remoteAccess struct {
	// url is the URL for git's command line: it holds no password or token.
	url string
	// unverifiedHosts is the file where ssh records the host keys it
	// accepted without checking; empty when host keys are checked or the
	// URL is not ssh.
	unverifiedHosts string
}

// authorize prepares s to reach the remote repository of src at loc with
// its credentials: key file, askpass helper and environment. Secrets go to
// files in the scratch directory (0600/0700) and the environment of git,
// never onto a command line. Errors about the key or the URL wrap
// ErrRepository; a known_hosts file that cannot be read is an internal
// error.
func (c *Cache) authorize(s *session, src Source, loc location) (remoteAccess, error) {
	keyType := src.KeyType
	if keyType == "" {
		keyType = model.KeyNone
	}
	switch loc.ep.protocol {
	case "ssh":
		return c.authorizeSSH(s, src, loc, keyType)

	case "http", "https":
		acc := remoteAccess{url: loc.origin}
		switch keyType {
		case model.KeyLoginPassword:
			if loc.ep.protocol == "http" {
				c.log.Warn("sending repository credentials over plain http", "url", loc.shown)
			}
			return acc, useCredentials(s, loc, src.Key.Login, src.Key.Password)
		case model.KeyNone:
			// Credentials in the URL, if any: git gets them from the helper,
			// not from its command line.
			if u, err := url.Parse(loc.raw); err == nil && u.User != nil {
				pass, _ := u.User.Password()
				return acc, useCredentials(s, loc, u.User.Username(), pass)
			}
			return acc, nil
		case model.KeySSH:
			return remoteAccess{}, repoErrorf("an ssh key cannot be used with %s: use an ssh:// or user@host:path url", loc.shown)
		default:
			return remoteAccess{}, repoErrorf("access key type %q cannot be used for %s", keyType, loc.shown)
		}

	default: // git://: anonymous, read-only
		if keyType != model.KeyNone {
			return remoteAccess{}, repoErrorf("%s takes no credentials: remove the access key or use ssh or https", loc.shown)
		}
		return remoteAccess{url: loc.origin}, nil
	}
}

// authorizeSSH prepares an ssh command for GIT_SSH_COMMAND: the user is the
// key's login, else the URL's user, else "git".
func (c *Cache) authorizeSSH(s *session, src Source, loc location, keyType model.KeyType) (remoteAccess, error) {
	user := src.Key.Login
	if user == "" {
		user = loc.ep.user
	}
	if user == "" {
		user = "git"
	}
	if strings.HasPrefix(user, "-") || strings.ContainsAny(user, "@:/ \t\r\n") {
		return remoteAccess{}, repoErrorf("ssh user %q for %s is not valid", user, loc.shown)
	}
	args := []string{"ssh", "-F", "/dev/null", // no user or system ssh configuration
		"-o", "IdentityAgent=none",
		"-o", "NumberOfPasswordPrompts=1",
		"-o", "ConnectTimeout=" + strconv.Itoa(int(max(time.Second, c.timeout).Round(time.Second).Seconds())),
	}
	askpass := false
	switch keyType {
	case model.KeySSH:
		encrypted, err := checkKey(src.Key)
		if err != nil {
			return remoteAccess{}, repoErrorf("ssh key for %s: %s", loc.shown, err)
		}
		if err := writePrivateKey(s.path(keyFile), src.Key.PrivateKey); err != nil {
			return remoteAccess{}, err
		}
		args = append(args, "-i", s.path(keyFile),
			"-o", "IdentitiesOnly=yes",
			"-o", "PreferredAuthentications=publickey",
			"-o", "PasswordAuthentication=no",
			"-o", "KbdInteractiveAuthentication=no")
		if encrypted {
			askpass = true
			s.setEnv(envSecret, src.Key.Passphrase)
		}
	case model.KeyLoginPassword:
		if err := checkCredential(src.Key.Password); err != nil {
			return remoteAccess{}, repoErrorf("password for %s: %s", loc.shown, err)
		}
		args = append(args,
			"-o", "PubkeyAuthentication=no",
			"-o", "PreferredAuthentications=keyboard-interactive,password")
		askpass = true
		s.setEnv(envSecret, src.Key.Password)
	case model.KeyNone:
		return remoteAccess{}, repoErrorf("%s is an ssh url: it needs an ssh key", loc.shown)
	default:
		return remoteAccess{}, repoErrorf("access key type %q cannot be used for %s", keyType, loc.shown)
	}
	if askpass {
		helper, err := writeAskpass(s)
		if err != nil {
			return remoteAccess{}, err
		}
		// ssh asks the helper even without a terminal or X display.
		s.setEnv("SSH_ASKPASS", helper)
		s.setEnv("SSH_ASKPASS_REQUIRE", "force")
		s.setEnv("DISPLAY", ":0")
		args = append(args, "-o", "BatchMode=no")
	} else {
		args = append(args, "-o", "BatchMode=yes")
	}

	acc := remoteAccess{url: sshURL(loc, user)}
	hostArgs, unverified, err := c.hostKeyArgs(s)
	if err != nil {
		return remoteAccess{}, err
	}
	acc.unverifiedHosts = unverified
	args = append(args, hostArgs...)
	s.setEnv("GIT_SSH_COMMAND", shellJoin(args))
	s.setEnv("GIT_SSH_VARIANT", "ssh")
	return acc, nil
}

// hostKeyArgs returns the ssh options that check host keys: against the
// configured known_hosts file, or not at all. Then unverified names the
// file where ssh records the keys it accepted, for the warning.
func (c *Cache) hostKeyArgs(s *session) (args []string, unverified string, err error) {
	args = []string{"-o", "GlobalKnownHostsFile=/dev/null", "-o", "UpdateHostKeys=no", "-o", "HashKnownHosts=no"}
	if c.knownHosts == "" {
		unverified = s.path(unverifiedHostsDB)
		return append(args, "-o", "UserKnownHostsFile="+unverified, "-o", "StrictHostKeyChecking=no"), unverified, nil
	}
	// ssh treats an unreadable file as an empty one: every host would be
	// refused as unknown. Say what is wrong instead.
	f, err := os.Open(c.knownHosts)
	if err != nil {
		return nil, "", fmt.Errorf("load known_hosts file %s: %w", c.knownHosts, err)
	}
	_ = f.Close()
	return append(args, "-o", "UserKnownHostsFile="+c.knownHosts, "-o", "StrictHostKeyChecking=yes"), "", nil
}

// warnUnverified logs, once per Cache, that ssh accepted a host key
// without checking it, naming the key.
func (c *Cache) warnUnverified(acc remoteAccess) {
	if acc.unverifiedHosts == "" {
		return
	}
	data, err := os.ReadFile(acc.unverifiedHosts)
	if err != nil || len(data) == 0 {
		return // no connection got that far
	}
	_, hosts, key, _, _, err := ssh.ParseKnownHosts(data)
	if err != nil || len(hosts) == 0 {
		return
	}
	c.warnHostKeys.Do(func() {
		c.log.Warn("ssh host keys are not verified: set a known_hosts file to verify them",
			"host", hosts[0], "host_key", ssh.FingerprintSHA256(key))
	})
}

// sshURL returns the ssh URL for git's command line: with user as its user
// and no password.
func sshURL(loc location, user string) string {
	if loc.ep.scpHostPath != "" {
		return user + "@" + loc.ep.scpHostPath
	}
	u, err := url.Parse(loc.raw)
	if err != nil { // parseLocation parsed it already
		return loc.origin
	}
	u.User = url.User(user)
	return u.String()
}

// checkKey checks that ssh can use the private key of key, and reports
// whether it is encrypted (ssh then asks for the passphrase). The error
// says why not, without quoting the key.
func checkKey(key model.KeySecret) (encrypted bool, err error) {
	pemBytes := []byte(key.PrivateKey)
	_, err = ssh.ParsePrivateKey(pemBytes)
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		return false, nil
	case !errors.As(err, &missing):
		return false, describeKeyError(err)
	case key.Passphrase == "":
		return false, describeKeyError(err)
	}
	if err := checkCredential(key.Passphrase); err != nil {
		return false, fmt.Errorf("passphrase: %w", err)
	}
	if _, err := ssh.ParsePrivateKeyWithPassphrase(pemBytes, []byte(key.Passphrase)); err != nil {
		return false, describeKeyError(err)
	}
	return true, nil
}

// writePrivateKey writes an SSH private key for ssh -i: owner-only, with
// Unix line endings and a final newline, which ssh needs.
func writePrivateKey(path, pemText string) error {
	pemText = strings.ReplaceAll(pemText, "\r\n", "\n")
	if !strings.HasSuffix(pemText, "\n") {
		pemText += "\n"
	}
	if err := os.WriteFile(path, []byte(pemText), 0o600); err != nil {
		return fmt.Errorf("write ssh key file: %w", err)
	}
	return nil
}

// writeAskpass writes the askpass helper into the scratch directory and
// returns its path.
func writeAskpass(s *session) (string, error) {
	path := s.path(askpassFile)
	if err := os.WriteFile(path, []byte(askpassScript), 0o700); err != nil {
		return "", fmt.Errorf("write askpass helper: %w", err)
	}
	return path, nil
}

// useCredentials makes git answer an HTTP authentication request with user
// and password, through the askpass script used as a credential helper.
func useCredentials(s *session, loc location, user, password string) error {
	for _, v := range []string{user, password} {
		if err := checkCredential(v); err != nil {
			return repoErrorf("credentials for %s: %s", loc.shown, err)
		}
	}
	helper, err := writeAskpass(s)
	if err != nil {
		return err
	}
	s.setEnv(envUsername, user)
	s.setEnv(envSecret, password)
	s.setConfig("credential.helper", "!"+shellQuote(helper))
	return nil
}

// checkCredential refuses what the askpass and credential protocols cannot
// carry.
func checkCredential(v string) error {
	if strings.ContainsAny(v, "\x00\r\n") {
		return errors.New("contains a line break or NUL character")
	}
	return nil
}
