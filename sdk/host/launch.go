// Package host is what a Signalbox host imports to start plugin binaries
// and talk to them: the launch policy shared by every plugin kind and the
// go-plugin glue of each kind. Plugins never import it, so go-plugin stays
// out of plugin binaries (they serve with plugin.Serve).
package host

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/signalbox/signalbox/sdk/plugin"
)

// Launch describes how a host starts one plugin binary.
type Launch struct {
	// Path is the plugin binary.
	Path string
	// Env is the plugin's whole environment: it inherits nothing else.
	Env []string
	// Handshake and Sets are the kind's handshake and versioned plugin sets.
	Handshake plugin.HandshakeConfig
	Sets      map[int]goplugin.PluginSet
	// Sockets is the private directory the plugin's socket is made in.
	Sockets *SocketDir
	// Log receives the plugin's log lines.
	Log hclog.Logger
	// StartTimeout bounds the start and handshake (0: go-plugin's 1 minute).
	StartTimeout time.Duration
	// Checksum, when set, pins the binary's SHA-256.
	Checksum *goplugin.SecureConfig
}

// ClientConfig returns the go-plugin client configuration of l: gRPC only,
// no inherited environment, and a connection only the host can open.
//
// The plugin listens on a Unix socket inside Sockets, a directory of mode
// 0700 that only the host's user can enter, so no other user can connect
// whatever the umask; a process of the same user could attach to the
// plugin anyway. go-plugin's AutoMTLS would add nothing there but its
// cost (a P-521 key pair made by both sides at every start), and
// plugin.Serve does not offer it.
func (l Launch) ClientConfig() (*goplugin.ClientConfig, error) {
	if l.Sockets == nil {
		return nil, errors.New("launch plugin: no socket directory")
	}
	cmd := exec.Command(l.Path)
	cmd.Env = append([]string(nil), l.Env...)
	cfg := &goplugin.ClientConfig{
		HandshakeConfig:  Handshake(l.Handshake),
		VersionedPlugins: l.Sets,
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		SkipHostEnv:      true,
		Logger:           l.Log,
		StartTimeout:     l.StartTimeout,
		SecureConfig:     l.Checksum,
	}
	dir, err := l.Sockets.Path()
	if err != nil {
		return nil, err
	}
	// plugin.Serve makes its socket in this directory.
	cmd.Env = append(cmd.Env, goplugin.EnvUnixSocketDir+"="+dir)
	return cfg, nil
}

// Handshake is h in go-plugin's terms.
func Handshake(h plugin.HandshakeConfig) goplugin.HandshakeConfig {
	return goplugin.HandshakeConfig{ProtocolVersion: h.ProtocolVersion, MagicCookieKey: h.MagicCookieKey, MagicCookieValue: h.MagicCookieValue}
}

// SocketDir is a private directory (mode 0700, in the system's temporary
// directory, short enough for a socket path) made on first use.
type SocketDir struct {
	once sync.Once
	mu   sync.Mutex
	dir  string
	err  error
}

// socketDirPrefix starts the name of every socket directory; the host's pid
// follows, so that a later host can remove those of hosts that died
// without cleaning up (see removeStaleSocketDirs).
const socketDirPrefix = "signalbox-plugins-"

// Path returns the directory, making it on first use.
func (s *SocketDir) Path() (string, error) {
	s.once.Do(func() {
		removeStaleSocketDirs(os.TempDir())
		dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", socketDirPrefix, os.Getpid()))
		s.mu.Lock()
		s.dir, s.err = dir, err
		s.mu.Unlock()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir, s.err
}

// Remove deletes the directory and what is left in it; call it once every
// plugin using it has stopped.
func (s *SocketDir) Remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		return nil
	}
	return os.RemoveAll(s.dir)
}
