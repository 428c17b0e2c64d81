package gitsrc

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"

	"github.com/signalbox/signalbox/core/model"
)

// auth returns the transport credentials for src at loc, nil for none.
// Errors about the key or the URL wrap ErrRepository; a known_hosts file
// that cannot be read is an internal error.
func (c *Cache) auth(src Source, loc location) (transport.AuthMethod, error) {
	keyType := src.KeyType
	if keyType == "" {
		keyType = model.KeyNone
	}
	switch loc.ep.Protocol {
	case "ssh":
		user := src.Key.Login
		if user == "" {
			user = loc.ep.User
		}
		if user == "" {
			user = "git"
		}
		var am gitssh.AuthMethod
		switch keyType {
		case model.KeySSH:
			pemBytes := []byte(src.Key.PrivateKey)
			if src.Key.Passphrase == "" {
				// go-git would retry an encrypted key with the empty
				// passphrase and report a bcrypt error: say it plainly.
				if _, err := ssh.ParsePrivateKey(pemBytes); err != nil {
					return nil, repoErrorf("ssh key for %s: %s", loc.shown, describeKeyError(err))
				}
			}
			pk, err := gitssh.NewPublicKeys(user, pemBytes, src.Key.Passphrase)
			if err != nil {
				return nil, repoErrorf("ssh key for %s: %s", loc.shown, describeKeyError(err))
			}
			cb, algos, err := c.hostKeyCheck(loc.ep)
			if err != nil {
				return nil, err
			}
			pk.HostKeyCallback, pk.HostKeyAlgorithms = cb, algos
			am = pk
		case model.KeyLoginPassword:
			cb, algos, err := c.hostKeyCheck(loc.ep)
			if err != nil {
				return nil, err
			}
			pw := &gitssh.Password{User: user, Password: src.Key.Password}
			pw.HostKeyCallback, pw.HostKeyAlgorithms = cb, algos
			am = pw
		case model.KeyNone:
			return nil, repoErrorf("%s is an ssh url: it needs an ssh key", loc.shown)
		default:
			return nil, repoErrorf("access key type %q cannot be used for %s", keyType, loc.shown)
		}
		return sshAuth{AuthMethod: am, timeout: c.timeout}, nil

	case "http", "https":
		switch keyType {
		case model.KeyLoginPassword:
			if loc.ep.Protocol == "http" {
				c.log.Warn("sending repository credentials over plain http", "url", loc.shown)
			}
			return &githttp.BasicAuth{Username: src.Key.Login, Password: src.Key.Password}, nil
		case model.KeyNone:
			return nil, nil // go-git uses credentials in the URL, if any
		case model.KeySSH:
			return nil, repoErrorf("an ssh key cannot be used with %s: use an ssh:// or user@host:path url", loc.shown)
		default:
			return nil, repoErrorf("access key type %q cannot be used for %s", keyType, loc.shown)
		}

	default: // git://: anonymous, read-only
		if keyType != model.KeyNone {
			return nil, repoErrorf("%s takes no credentials: remove the access key or use ssh or https", loc.shown)
		}
		return nil, nil
	}
}

// hostKeyCheck returns how SSH host keys are verified: against the
// configured known_hosts file, or not at all (with a warning, once).
func (c *Cache) hostKeyCheck(ep *transport.Endpoint) (ssh.HostKeyCallback, []string, error) {
	if c.knownHosts == "" {
		return func(hostname string, _ net.Addr, key ssh.PublicKey) error {
			c.warnHostKeys.Do(func() {
				c.log.Warn("ssh host keys are not verified: set a known_hosts file to verify them",
					"host", hostname, "host_key", ssh.FingerprintSHA256(key))
			})
			return nil
		}, nil, nil
	}
	db, err := gitssh.NewKnownHostsDb(c.knownHosts)
	if err != nil {
		return nil, nil, fmt.Errorf("load known_hosts file %s: %w", c.knownHosts, err)
	}
	port := ep.Port
	if port <= 0 {
		port = gitssh.DefaultPort
	}
	// Offer only the key types known_hosts has for this host, or the server
	// may present another type and fail the check.
	return db.HostKeyCallback(), db.HostKeyAlgorithms(net.JoinHostPort(ep.Host, strconv.Itoa(port))), nil
}

// sshAuth adds a connection timeout to an SSH auth method: go-git dials
// without a context, so the timeout is the only bound on an unanswered dial.
type sshAuth struct {
	gitssh.AuthMethod
	timeout time.Duration
}

// ClientConfig implements gitssh.AuthMethod.
func (a sshAuth) ClientConfig() (*ssh.ClientConfig, error) {
	cfg, err := a.AuthMethod.ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.Timeout = a.timeout
	return cfg, nil
}
