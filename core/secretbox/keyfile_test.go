package secretbox_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/signalbox/signalbox/core/secretbox"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:32] // encodes with '+', '/' or '-', '_'
	for name, tc := range map[string]struct {
		in      string
		wantErr string
	}{
		"standard padded":   {in: base64.StdEncoding.EncodeToString(key)},
		"standard unpadded": {in: base64.RawStdEncoding.EncodeToString(key)},
		"url padded":        {in: base64.URLEncoding.EncodeToString(key)},
		"url unpadded":      {in: base64.RawURLEncoding.EncodeToString(key)},
		"surrounding space": {in: "  " + base64.StdEncoding.EncodeToString(key) + "\n"},
		"empty":             {in: "  ", wantErr: "empty"},
		"not base64":        {in: "not base64 at all!", wantErr: "not valid base64"},
		"16 bytes":          {in: base64.StdEncoding.EncodeToString(key[:16]), wantErr: "decodes to 16 bytes, want 32"},
		"hex instead":       {in: strings.Repeat("ab", 32), wantErr: "decodes to 48 bytes, want 32"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := secretbox.ParseKey(tc.in)
			if tc.wantErr != "" {
				if !errors.Is(err, secretbox.ErrKey) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseKey() error = %v, want ErrKey with %q", err, tc.wantErr)
				}
				if in := strings.TrimSpace(tc.in); in != "" && strings.Contains(err.Error(), in) {
					t.Errorf("ParseKey() error %q quotes the input", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("ParseKey() = %x, %v, want %x", got, err, key)
			}
		})
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()

	t.Run("creates a private file in a private directory, then reads it back", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data", "nested", "secret.key")
		id, key, created, err := secretbox.LoadOrCreateKeyFile(path)
		if err != nil || !created {
			t.Fatalf("LoadOrCreateKeyFile() created = %v, error = %v, want a new file", created, err)
		}
		if len(key) != secretbox.KeySize || id != secretbox.KeyID(key) {
			t.Errorf("got %d-byte key with id %q, want 32 bytes with id %q", len(key), id, secretbox.KeyID(key))
		}
		if runtime.GOOS != "windows" {
			assertMode(t, path, 0o600)
			assertMode(t, filepath.Dir(path), 0o700)
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Errorf("key directory holds %d entries, want only the key file", len(entries))
		}

		id2, key2, created2, err := secretbox.LoadOrCreateKeyFile(path)
		if err != nil || created2 || id2 != id || !bytes.Equal(key2, key) {
			t.Errorf("second LoadOrCreateKeyFile() = %q, created %v, %v; want the same key, not created", id2, created2, err)
		}
		if _, err := secretbox.New(map[string][]byte{id: key}, id); err != nil {
			t.Errorf("New() with the created key: %v", err)
		}
	})

	t.Run("concurrent callers all get the one key", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "secret.key")
		const n = 8
		keys := make([][]byte, n)
		var created int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, k, c, err := secretbox.LoadOrCreateKeyFile(path)
				if err != nil {
					t.Errorf("LoadOrCreateKeyFile() error = %v", err)
				}
				keys[i] = k
				if c {
					mu.Lock()
					created++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if created != 1 {
			t.Errorf("%d callers created the file, want 1", created)
		}
		for i := range keys {
			if !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("caller %d got another key", i)
			}
		}
	})

	key := bytes.Repeat([]byte{7}, 32)
	b64 := base64.StdEncoding.EncodeToString(key)
	for name, tc := range map[string]struct {
		content string
		wantID  string
		wantErr string
	}{
		"id and key":               {content: "main:" + b64 + "\n", wantID: "main"},
		"key only gets derived id": {content: b64, wantID: secretbox.KeyID(key)},
		"comments and blank lines": {content: "# comment\n\n  2025-01:" + b64 + "  \n\n", wantID: "2025-01"},
		"crlf line ends":           {content: "# c\r\nk1:" + b64 + "\r\n", wantID: "k1"},
		"empty file":               {content: "", wantErr: "no key line"},
		"only comments":            {content: "# nothing\n", wantErr: "no key line"},
		"two keys":                 {content: "a:" + b64 + "\nb:" + b64 + "\n", wantErr: "line 2: more than one key line"},
		"bad id":                   {content: "a b:" + b64, wantErr: "line 1: key id"},
		"empty id":                 {content: ":" + b64, wantErr: "line 1: key id must be"},
		"short key":                {content: "k:" + base64.StdEncoding.EncodeToString(key[:31]), wantErr: "line 1: parse key: decodes to 31 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "secret.key")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			id, got, created, err := secretbox.LoadOrCreateKeyFile(path)
			if created {
				t.Error("LoadOrCreateKeyFile() created a key over an existing file")
			}
			if tc.wantErr != "" {
				if !errors.Is(err, secretbox.ErrKey) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("LoadOrCreateKeyFile() error = %v, want ErrKey naming the file and %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), b64[:20]) {
					t.Errorf("error %q quotes the key", err)
				}
				return
			}
			if err != nil || id != tc.wantID || !bytes.Equal(got, key) {
				t.Errorf("LoadOrCreateKeyFile() = %q, %x, %v; want %q and the key", id, got, err, tc.wantID)
			}
		})
	}

	t.Run("unreadable path is an error, not a new key", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir() // a directory where the file should be
		_, _, created, err := secretbox.LoadOrCreateKeyFile(dir)
		if err == nil || created {
			t.Errorf("LoadOrCreateKeyFile(directory) created = %v, error = %v; want an error", created, err)
		}
		if errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error = %v, want not ErrNotExist", err)
		}
	})
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", path, got, want)
	}
}
