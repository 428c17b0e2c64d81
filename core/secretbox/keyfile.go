package secretbox

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ParseKey decodes a key given as text, e.g. in the configuration: base64
// (standard or URL alphabet, padded or not) of exactly KeySize bytes.
// Surrounding white space is ignored. Errors wrap ErrKey and never quote s.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("parse key: empty: %w", ErrKey)
	}
	var key []byte
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if k, err := enc.DecodeString(s); err == nil {
			key = k
			break
		}
	}
	if key == nil {
		return nil, fmt.Errorf("parse key: not valid base64: %w", ErrKey)
	}
	if len(key) != KeySize {
		clear(key)
		return nil, fmt.Errorf("parse key: decodes to %d bytes, want %d (make one with `openssl rand -base64 32`): %w",
			len(key), KeySize, ErrKey)
	}
	return key, nil
}

// LoadOrCreateKeyFile reads the key file at path (format in the package
// doc) and returns its key and key ID. If the file does not exist, it
// creates one with a new random key, readable by the owner only (0600), in
// a directory created with 0700 if missing, and reports created.
//
// Creation never replaces a file: if another process creates the key file
// first, that file's key is returned. Back the file up: data sealed with a
// lost key cannot be recovered.
func LoadOrCreateKeyFile(path string) (id string, key []byte, created bool, err error) {
	id, key, err = readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return id, key, false, err
	}
	id, key, err = createKeyFile(path)
	if errors.Is(err, fs.ErrExist) {
		// Lost a race with another process: use its key.
		id, key, err = readKeyFile(path)
		return id, key, false, err
	}
	if err != nil {
		return "", nil, false, err
	}
	return id, key, true, nil
}

func readKeyFile(path string) (string, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("read key file: %w", err)
	}
	defer clear(data)
	id, key, err := parseKeyFile(string(data))
	if err != nil {
		return "", nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	return id, key, nil
}

func parseKeyFile(data string) (string, []byte, error) {
	var keyLine string
	lineNo := 0
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if keyLine != "" {
			return "", nil, fmt.Errorf("line %d: more than one key line: %w", i+1, ErrKey)
		}
		keyLine, lineNo = line, i+1
	}
	if keyLine == "" {
		return "", nil, fmt.Errorf("no key line: %w", ErrKey)
	}
	id, enc, hasID := strings.Cut(keyLine, ":")
	if !hasID {
		enc, id = id, ""
	}
	key, err := ParseKey(enc)
	if err != nil {
		return "", nil, fmt.Errorf("line %d: %w", lineNo, err)
	}
	if !hasID {
		return KeyID(key), key, nil
	}
	id = strings.TrimSpace(id)
	if err := validID(id); err != nil {
		clear(key)
		return "", nil, fmt.Errorf("line %d: %w", lineNo, err)
	}
	return id, key, nil
}

// createKeyFile writes a new key to a temporary file and links it into
// place, so that path never holds a partial key and an existing file is
// never replaced (the error then wraps fs.ErrExist).
func createKeyFile(path string) (string, []byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("create key file: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", nil, fmt.Errorf("create key file: read random key: %w", err)
	}
	id := KeyID(key)
	content := []byte("# Signalbox secret encryption key. Keep it secret and back it up:\n" +
		"# secrets stored by Signalbox cannot be read without it.\n" +
		id + ":" + base64.StdEncoding.EncodeToString(key) + "\n")
	defer clear(content)

	tmp, err := os.CreateTemp(dir, ".signalbox-key-*")
	if err != nil {
		return "", nil, fmt.Errorf("create key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := writeSynced(tmp, content); err != nil {
		return "", nil, fmt.Errorf("create key file: %w", err)
	}
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", nil, fmt.Errorf("create key file: %w", err)
		}
		// No hard links on this file system: create in place, still
		// without replacing anything.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", nil, fmt.Errorf("create key file: %w", err)
		}
		if err := writeSynced(f, content); err != nil {
			os.Remove(path)
			return "", nil, fmt.Errorf("create key file: %w", err)
		}
	}
	syncDir(dir)
	return id, key, nil
}

// writeSynced writes data to f with mode 0600, syncs and closes it.
func writeSynced(f *os.File, data []byte) error {
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a new directory entry durable where the platform allows.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
