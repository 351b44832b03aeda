// Package seal encrypts personal data at rest with AES-256-GCM. The key comes
// from TONGXIN_SECRET_KEY or, when that is unset, from a key file generated
// in the data directory on first start.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

// version prefixes every sealed value so that keys can be rotated later.
const version byte = 1

// ErrOpen means a sealed value could not be opened: wrong key, wrong place,
// or tampering.
var ErrOpen = errors.New("sealed value cannot be opened")

// Box seals and opens values with one key. It is safe for concurrent use.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain; aad names where the value will be stored.
func (b *Box) Seal(plain []byte, aad string) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{version}, nonce...)
	return b.aead.Seal(out, nonce, plain, []byte(aad)), nil
}

// Open decrypts a value sealed for the same aad, or returns ErrOpen.
func (b *Box) Open(sealed []byte, aad string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// ParseKey decodes a key given as base64 (standard or URL alphabet) or hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.URLEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString, base64.RawURLEncoding.DecodeString,
		hex.DecodeString,
	} {
		if k, err := dec(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("secret key must be %d bytes in base64 or hex", KeySize)
}

// KeyFile is the name of the generated key inside the data directory.
const KeyFile = "secret.key"

// LoadOrCreateKey returns the key given in configured, or reads the key file
// in dir, creating it (mode 0600) when it does not exist yet. created
// reports a new key, which the caller should announce: losing it makes the
// sealed data unreadable.
func LoadOrCreateKey(configured, dir string) (key []byte, created bool, err error) {
	if configured != "" {
		k, err := ParseKey(configured)
		return k, false, err
	}
	path := filepath.Join(dir, KeyFile)
	k, created, err := readKeyFile(path)
	if !errors.Is(err, os.ErrNotExist) {
		return k, created, err
	}
	k = make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	// Write the key whole to a temporary file, then link it into place:
	// the link fails if another process got there first, and nobody ever
	// reads a half-written key.
	tmp, err := os.CreateTemp(dir, ".secret-*.tmp")
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return readKeyFile(path)
	} else if err != nil {
		return nil, false, err
	}
	return k, true, nil
}

func readKeyFile(path string) ([]byte, bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	k, err := ParseKey(string(b))
	if err != nil {
		// A key file being written by another process reads empty for a
		// moment; an empty or short file is still an error worth seeing.
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return k, false, nil
}
