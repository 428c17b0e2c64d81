package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

const (
	// KeySize is the size of every key, in bytes (AES-256).
	KeySize = 32

	version1  = 1
	nonceSize = 12
	tagSize   = 16
	maxIDLen  = 64
)

// ErrDecrypt marks a blob that cannot be opened: tampered with, truncated,
// of an unknown format version or sealed with a key the Box does not have.
var ErrDecrypt = errors.New("cannot decrypt secret")

// ErrKey marks an unusable key or key ID: wrong size, bad encoding or a bad
// key file.
var ErrKey = errors.New("invalid encryption key")

// Box seals and opens secrets. It holds one or more keys by ID; Seal uses
// the primary key, Open uses whichever key sealed the blob. A Box is safe
// for concurrent use.
type Box struct {
	primary string
	aeads   map[string]cipher.AEAD
}

// New returns a Box with the given keys, each KeySize bytes, sealing with
// the key named primary. Key IDs are 1–64 ASCII letters, digits, '.', '_'
// or '-'. The key slices are not retained.
func New(keys map[string][]byte, primary string) (*Box, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("new secret box: no keys: %w", ErrKey)
	}
	if _, ok := keys[primary]; !ok {
		return nil, fmt.Errorf("new secret box: primary key %q is not among the keys: %w", primary, ErrKey)
	}
	b := &Box{primary: primary, aeads: make(map[string]cipher.AEAD, len(keys))}
	for id, key := range keys {
		if err := validID(id); err != nil {
			return nil, fmt.Errorf("new secret box: %w", err)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("new secret box: key %q is %d bytes, want %d: %w", id, len(key), KeySize, ErrKey)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("new secret box: key %q: %w", id, ErrKey)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("new secret box: key %q: %w", id, ErrKey)
		}
		b.aeads[id] = aead
	}
	return b, nil
}

// Primary returns the ID of the key Seal uses.
func (b *Box) Primary() string { return b.primary }

// KeyIDs returns the IDs of the Box's keys, sorted.
func (b *Box) KeyIDs() []string {
	ids := make([]string, 0, len(b.aeads))
	for id := range b.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Seal encrypts plaintext with the primary key and returns a self-describing
// blob (see the package doc). Sealing the same plaintext twice gives
// different blobs.
func (b *Box) Seal(plaintext []byte) ([]byte, error) {
	aead := b.aeads[b.primary]
	hdr := 2 + len(b.primary)
	out := make([]byte, hdr+nonceSize, hdr+nonceSize+len(plaintext)+tagSize)
	out[0] = version1
	out[1] = byte(len(b.primary))
	copy(out[2:], b.primary)
	if _, err := rand.Read(out[hdr:]); err != nil {
		return nil, fmt.Errorf("seal secret: read random nonce: %w", err)
	}
	return aead.Seal(out, out[hdr:], plaintext, out[:hdr]), nil
}

// Open decrypts a blob made by Seal, with any of the Box's keys. Every
// failure wraps ErrDecrypt.
func (b *Box) Open(blob []byte) ([]byte, error) {
	id, err := BlobKeyID(blob)
	if err != nil {
		return nil, err
	}
	aead, ok := b.aeads[id]
	if !ok {
		return nil, fmt.Errorf("open secret: unknown key id %q: %w", id, ErrDecrypt)
	}
	hdr := 2 + len(id)
	if len(blob) < hdr+nonceSize+tagSize {
		return nil, fmt.Errorf("open secret: blob too short: %w", ErrDecrypt)
	}
	pt, err := aead.Open(nil, blob[hdr:hdr+nonceSize], blob[hdr+nonceSize:], blob[:hdr])
	if err != nil {
		return nil, fmt.Errorf("open secret: message authentication failed: %w", ErrDecrypt)
	}
	return pt, nil
}

// BlobKeyID returns the ID of the key that sealed blob, without decrypting
// it, so a caller can find blobs to re-seal after a rotation. The ID is not
// authenticated until Open succeeds. Errors wrap ErrDecrypt.
func BlobKeyID(blob []byte) (string, error) {
	if len(blob) < 2 {
		return "", fmt.Errorf("open secret: blob too short: %w", ErrDecrypt)
	}
	if blob[0] != version1 {
		return "", fmt.Errorf("open secret: unknown format version %d: %w", blob[0], ErrDecrypt)
	}
	n := int(blob[1])
	if n == 0 || n > maxIDLen || len(blob) < 2+n {
		return "", fmt.Errorf("open secret: malformed key id: %w", ErrDecrypt)
	}
	id := string(blob[2 : 2+n])
	if validID(id) != nil {
		return "", fmt.Errorf("open secret: malformed key id: %w", ErrDecrypt)
	}
	return id, nil
}

// SealJSON seals the JSON encoding of v.
func (b *Box) SealJSON(v any) ([]byte, error) {
	pt, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("seal secret: encode %T: %w", v, err)
	}
	defer clear(pt)
	return b.Seal(pt)
}

// OpenJSON opens blob and decodes the JSON inside into v. A decoding error
// does not quote the content, which is secret.
func (b *Box) OpenJSON(blob []byte, v any) error {
	pt, err := b.Open(blob)
	if err != nil {
		return err
	}
	defer clear(pt)
	if err := json.Unmarshal(pt, v); err != nil {
		// The json errors may quote parts of the input: keep them out.
		return fmt.Errorf("open secret: decode %T: content is not valid json for this type", v)
	}
	return nil
}

// KeyID returns the ID of a key that was given without one: "k" and the
// first 8 hex digits of the key's SHA-256.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return "k" + hex.EncodeToString(sum[:4])
}

func validID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("key id must be 1 to %d characters: %w", maxIDLen, ErrKey)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return fmt.Errorf("key id %q: only letters, digits, '.', '_' and '-' are allowed: %w", id, ErrKey)
		}
	}
	return nil
}
