package secretbox_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/secretbox"
)

func newKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, secretbox.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func newBox(t testing.TB, primary string, keys map[string][]byte) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(keys, primary)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return b
}

func TestNew(t *testing.T) {
	t.Parallel()
	good := newKey(t)
	for name, tc := range map[string]struct {
		keys    map[string][]byte
		primary string
		wantErr bool
	}{
		"one key":                     {keys: map[string][]byte{"k1": good}, primary: "k1"},
		"two keys":                    {keys: map[string][]byte{"k1": good, "k2": newKey(t)}, primary: "k2"},
		"no keys":                     {keys: nil, primary: "k1", wantErr: true},
		"primary missing":             {keys: map[string][]byte{"k1": good}, primary: "k2", wantErr: true},
		"short key":                   {keys: map[string][]byte{"k1": good[:16]}, primary: "k1", wantErr: true},
		"long key":                    {keys: map[string][]byte{"k1": append(bytes.Clone(good), 0)}, primary: "k1", wantErr: true},
		"empty id":                    {keys: map[string][]byte{"": good}, primary: "", wantErr: true},
		"id with colon":               {keys: map[string][]byte{"a:b": good}, primary: "a:b", wantErr: true},
		"id too long":                 {keys: map[string][]byte{strings.Repeat("a", 65): good}, primary: strings.Repeat("a", 65), wantErr: true},
		"id of 64 allowed characters": {keys: map[string][]byte{strings.Repeat("aZ0._-", 10) + "abcd": good}, primary: strings.Repeat("aZ0._-", 10) + "abcd"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := secretbox.New(tc.keys, tc.primary)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New() error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, secretbox.ErrKey) {
				t.Errorf("New() error = %v, want it to wrap ErrKey", err)
			}
		})
	}
}

func TestBox_SealOpen(t *testing.T) {
	t.Parallel()
	b := newBox(t, "k1", map[string][]byte{"k1": newKey(t)})
	for name, pt := range map[string][]byte{
		"empty":   {},
		"text":    []byte("hunter2"),
		"unicode": []byte("пароль 🔑"),
		"binary":  {0, 1, 2, 255, 254},
		"large":   bytes.Repeat([]byte("x"), 1<<20),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			blob, err := b.Seal(pt)
			if err != nil {
				t.Fatalf("Seal() error = %v", err)
			}
			if len(pt) >= 4 && bytes.Contains(blob, pt) {
				t.Fatal("Seal() blob contains the plaintext")
			}
			got, err := b.Open(blob)
			if err != nil {
				t.Fatalf("Open() error = %v", err)
			}
			if !bytes.Equal(got, pt) {
				t.Errorf("Open() = %q, want %q", got, pt)
			}
		})
	}

	t.Run("sealing twice gives different blobs", func(t *testing.T) {
		t.Parallel()
		a, _ := b.Seal([]byte("same"))
		c, _ := b.Seal([]byte("same"))
		if bytes.Equal(a, c) {
			t.Error("two Seal() calls gave the same blob: nonce reused")
		}
	})

	t.Run("blob names its key", func(t *testing.T) {
		t.Parallel()
		blob, _ := b.Seal([]byte("x"))
		id, err := secretbox.BlobKeyID(blob)
		if err != nil || id != "k1" {
			t.Errorf("BlobKeyID() = %q, %v, want k1", id, err)
		}
	})
}

func TestBox_Open_tampering(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	b := newBox(t, "key-1", map[string][]byte{"key-1": key})
	pt := []byte("correct horse battery staple")
	blob, err := b.Seal(pt)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("flipping any bit of any byte is detected", func(t *testing.T) {
		t.Parallel()
		for i := range blob {
			for bit := range 8 {
				bad := bytes.Clone(blob)
				bad[i] ^= 1 << bit
				got, err := b.Open(bad)
				if !errors.Is(err, secretbox.ErrDecrypt) {
					t.Fatalf("Open() with byte %d bit %d flipped: error = %v, want ErrDecrypt", i, bit, err)
				}
				if got != nil {
					t.Fatalf("Open() with byte %d flipped returned data", i)
				}
			}
		}
	})

	for name, bad := range map[string][]byte{
		"nil":                  nil,
		"version only":         blob[:1],
		"header only":          blob[:2+len("key-1")],
		"no tag":               blob[:2+len("key-1")+12],
		"truncated by a byte":  blob[:len(blob)-1],
		"extra byte":           append(bytes.Clone(blob), 0),
		"zero-length key id":   {1, 0},
		"key id past the end":  {1, 60, 'a'},
		"unknown version":      append([]byte{2}, blob[1:]...),
		"id of another length": append([]byte{1, 4}, blob[2:]...),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := b.Open(bad); !errors.Is(err, secretbox.ErrDecrypt) {
				t.Errorf("Open() error = %v, want ErrDecrypt", err)
			}
		})
	}

	t.Run("errors are not an input error and quote no secret", func(t *testing.T) {
		t.Parallel()
		bad := bytes.Clone(blob)
		bad[len(bad)-1] ^= 1
		_, err := b.Open(bad)
		if errors.Is(err, model.ErrInvalid) {
			t.Errorf("Open() error = %v wraps model.ErrInvalid", err)
		}
		msg := err.Error()
		if strings.Contains(msg, string(pt)) || strings.Contains(msg, string(key)) {
			t.Errorf("Open() error %q contains secret material", msg)
		}
	})
}

func TestBox_Open_unknownKey(t *testing.T) {
	t.Parallel()
	a := newBox(t, "a", map[string][]byte{"a": newKey(t)})
	other := newBox(t, "b", map[string][]byte{"b": newKey(t)})
	sameIDOtherKey := newBox(t, "a", map[string][]byte{"a": newKey(t)})
	blob, _ := a.Seal([]byte("secret"))

	_, err := other.Open(blob)
	if !errors.Is(err, secretbox.ErrDecrypt) || !strings.Contains(err.Error(), `unknown key id "a"`) {
		t.Errorf("Open() with unknown key id: error = %v, want ErrDecrypt naming the id", err)
	}
	if _, err := sameIDOtherKey.Open(blob); !errors.Is(err, secretbox.ErrDecrypt) {
		t.Errorf("Open() with the wrong key under the same id: error = %v, want ErrDecrypt", err)
	}
}

func TestBox_rotation(t *testing.T) {
	t.Parallel()
	oldKey, newKeyBytes := newKey(t), newKey(t)
	before := newBox(t, "2024", map[string][]byte{"2024": oldKey})
	oldBlob, _ := before.Seal([]byte("old secret"))

	after := newBox(t, "2025", map[string][]byte{"2024": oldKey, "2025": newKeyBytes})
	newBlob, _ := after.Seal([]byte("new secret"))

	if got, err := after.Open(oldBlob); err != nil || string(got) != "old secret" {
		t.Errorf("Open(old blob) after rotation = %q, %v", got, err)
	}
	if got, err := after.Open(newBlob); err != nil || string(got) != "new secret" {
		t.Errorf("Open(new blob) = %q, %v", got, err)
	}
	if id, _ := secretbox.BlobKeyID(newBlob); id != "2025" {
		t.Errorf("new blob sealed with %q, want the primary 2025", id)
	}
	if _, err := before.Open(newBlob); !errors.Is(err, secretbox.ErrDecrypt) {
		t.Errorf("old box opened a blob of the new key: error = %v", err)
	}
	if diff := cmp.Diff([]string{"2024", "2025"}, after.KeyIDs()); diff != "" {
		t.Errorf("KeyIDs() mismatch (-want +got):\n%s", diff)
	}
	if after.Primary() != "2025" {
		t.Errorf("Primary() = %q, want 2025", after.Primary())
	}
}

func TestBox_JSON(t *testing.T) {
	t.Parallel()
	b := newBox(t, "k", map[string][]byte{"k": newKey(t)})
	in := model.KeySecret{Login: "deploy", Password: "p4ss", PrivateKey: "-----BEGIN-----\nabc\n-----END-----\n", Passphrase: "pp"}
	blob, err := b.SealJSON(in)
	if err != nil {
		t.Fatalf("SealJSON() error = %v", err)
	}
	var out model.KeySecret
	if err := b.OpenJSON(blob, &out); err != nil {
		t.Fatalf("OpenJSON() error = %v", err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}

	t.Run("decode error does not quote the content", func(t *testing.T) {
		t.Parallel()
		blob, _ := b.Seal([]byte(`{"login": "s3cr3t-value"}`))
		var n int
		err := b.OpenJSON(blob, &n)
		if err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("OpenJSON() error = %v, want an error without the content", err)
		}
	})

	t.Run("tampered blob", func(t *testing.T) {
		t.Parallel()
		bad := bytes.Clone(blob)
		bad[len(bad)/2] ^= 0x40
		if err := b.OpenJSON(bad, &out); !errors.Is(err, secretbox.ErrDecrypt) {
			t.Errorf("OpenJSON() error = %v, want ErrDecrypt", err)
		}
	})

	t.Run("value that cannot be encoded", func(t *testing.T) {
		t.Parallel()
		if _, err := b.SealJSON(func() {}); err == nil {
			t.Error("SealJSON(func) error = nil")
		}
	})
}

func BenchmarkBox_Seal(b *testing.B) {
	box := newBox(b, "k", map[string][]byte{"k": newKey(b)})
	pt := []byte(`{"login":"deploy","password":"correct horse battery staple"}`)
	for b.Loop() {
		if _, err := box.Seal(pt); err != nil {
			b.Fatal(err)
		}
	}
}
