package gitsrc_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	"golang.org/x/crypto/ssh"
)

// sshGitServer serves one repository over SSH (git-upload-pack only) with
// go-git's server side, accepting the given client keys.
type sshGitServer struct {
	addr    string
	hostKey ssh.PublicKey
	repoDir string
	clients []ssh.PublicKey

	mu        sync.Mutex
	users     []string          // user names of accepted logins
	passwords map[string]string // accepted passwords by user, see allowPassword
}

// allowPassword makes the server accept password auth of user.
func (s *sshGitServer) allowPassword(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.passwords == nil {
		s.passwords = make(map[string]string)
	}
	s.passwords[user] = password
}

func newSSHGitServer(t testing.TB, repoDir string, clients ...ssh.PublicKey) *sshGitServer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	s := &sshGitServer{hostKey: hostSigner.PublicKey(), repoDir: repoDir, clients: clients}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, c := range s.clients {
				if bytes.Equal(key.Marshal(), c.Marshal()) {
					s.mu.Lock()
					s.users = append(s.users, meta.User())
					s.mu.Unlock()
					return nil, nil
				}
			}
			return nil, errors.New("unknown key")
		},
		PasswordCallback: func(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if want, ok := s.passwords[meta.User()]; ok && want == string(password) {
				s.users = append(s.users, meta.User())
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
	}
	cfg.AddHostKey(hostSigner)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	var wg sync.WaitGroup
	var connMu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			connMu.Lock()
			conns = append(conns, conn)
			connMu.Unlock()
			wg.Go(func() { s.serveConn(conn, cfg) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		connMu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		connMu.Unlock()
		wg.Wait()
	})
	return s
}

// url returns the repository's ssh:// URL, with a user if given.
func (s *sshGitServer) url(user string) string {
	if user != "" {
		user += "@"
	}
	return "ssh://" + user + s.addr + "/site.git"
}

func (s *sshGitServer) loggedInUsers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.users...)
}

func (s *sshGitServer) serveConn(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go s.serveSession(ch, chReqs)
	}
}

func (s *sshGitServer) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			_ = req.Reply(false, nil)
			continue
		}
		var payload struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &payload); err != nil || !strings.HasPrefix(payload.Command, "git-upload-pack ") {
			_ = req.Reply(false, nil)
			continue
		}
		_ = req.Reply(true, nil)
		status := uint32(0)
		if err := s.uploadPack(ch); err != nil {
			fmt.Fprintf(ch.Stderr(), "fatal: %v\n", err)
			status = 1
		}
		// Wait for the client to close its input before ending the
		// session: a channel closed first makes go-git's close of its
		// input fail ("closing input: EOF") now and then.
		_, _ = io.Copy(io.Discard, ch)
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
		go ssh.DiscardRequests(reqs)
		return
	}
}

func (s *sshGitServer) uploadPack(rw io.ReadWriter) error {
	repo, err := git.PlainOpen(s.repoDir)
	if err != nil {
		return err
	}
	ep, _ := transport.NewEndpoint("/site.git")
	sess, err := server.NewServer(server.MapLoader{ep.String(): repo.Storer}).NewUploadPackSession(ep, nil)
	if err != nil {
		return err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferences()
	if err != nil {
		return err
	}
	if err := ar.Encode(rw); err != nil {
		return err
	}
	req := packp.NewUploadPackRequest()
	if err := req.Decode(rw); err != nil {
		return nil // a listing only: the client sends a flush and hangs up
	}
	resp, err := sess.UploadPack(context.Background(), req)
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Encode(rw)
}

// clientKey is an SSH client key pair for tests.
type clientKey struct {
	pub ssh.PublicKey
	pem string // OpenSSH private key
}

func newClientKey(t testing.TB, passphrase string) clientKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "test key")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test key", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return clientKey{pub: signer.PublicKey(), pem: string(pem.EncodeToMemory(block))}
}
