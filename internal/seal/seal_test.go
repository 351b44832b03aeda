package seal_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/internal/seal"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, seal.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func newBox(t *testing.T, key []byte) *seal.Box {
	t.Helper()
	b, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealRoundTrip(t *testing.T) {
	box := newBox(t, newKey(t))
	for _, plain := range [][]byte{
		[]byte("+8613812345678"),
		[]byte("ئابدۇرېھىم 张三 𠀀"),
		{},
		bytes.Repeat([]byte{0}, 4096),
	} {
		sealed, err := box.Seal(plain, "residents.phone")
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) > 0 && bytes.Contains(sealed, plain) {
			t.Errorf("sealed value contains the plain text %q", plain)
		}
		got, err := box.Open(sealed, "residents.phone")
		if err != nil {
			t.Fatalf("open %q: %v", plain, err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("round trip gave %q, want %q", got, plain)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	key := newKey(t)
	box := newBox(t, key)
	sealed, err := box.Seal([]byte("张三 13812345678"), "tickets.sensitive")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name   string
		box    *seal.Box
		sealed []byte
		aad    string
	}{
		{"wrong aad", box, sealed, "residents.phone"},
		{"empty aad", box, sealed, ""},
		{"different key", newBox(t, newKey(t)), sealed, "tickets.sensitive"},
		{"flipped version byte", box, flip(0), "tickets.sensitive"},
		{"flipped nonce byte", box, flip(1), "tickets.sensitive"},
		{"flipped ciphertext byte", box, flip(len(sealed) / 2), "tickets.sensitive"},
		{"flipped tag byte", box, flip(len(sealed) - 1), "tickets.sensitive"},
		{"truncated", box, sealed[:len(sealed)-1], "tickets.sensitive"},
		{"too short", box, sealed[:5], "tickets.sensitive"},
		{"empty", box, nil, "tickets.sensitive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.box.Open(tt.sealed, tt.aad)
			if !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
	// The original still opens: the cases above did not change it.
	if _, err := box.Open(sealed, "tickets.sensitive"); err != nil {
		t.Fatalf("the untouched value no longer opens: %v", err)
	}
}

func TestSealUsesAFreshNonce(t *testing.T) {
	box := newBox(t, newKey(t))
	plain := []byte("+8613812345678")
	a, err := box.Seal(plain, "residents.phone")
	if err != nil {
		t.Fatal(err)
	}
	b, err := box.Seal(plain, "residents.phone")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are equal: the nonce is not random")
	}
}

func TestNewRejectsWrongKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := seal.New(make([]byte, n)); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
}

func TestParseKey(t *testing.T) {
	key := newKey(t)
	// A key whose encodings use '+' and '/' (or '-' and '_'), so that the
	// standard and URL alphabets really differ.
	mixed := bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 11)[:seal.KeySize]
	accept := []struct {
		name string
		in   string
		want []byte
	}{
		{"std", base64.StdEncoding.EncodeToString(key), key},
		{"url", base64.URLEncoding.EncodeToString(key), key},
		{"raw std", base64.RawStdEncoding.EncodeToString(key), key},
		{"raw url", base64.RawURLEncoding.EncodeToString(key), key},
		{"std with + and /", base64.StdEncoding.EncodeToString(mixed), mixed},
		{"url with - and _", base64.URLEncoding.EncodeToString(mixed), mixed},
		{"raw url with - and _", base64.RawURLEncoding.EncodeToString(mixed), mixed},
		{"surrounding space and newline", "  " + base64.StdEncoding.EncodeToString(key) + "\n", key},
	}
	for _, tt := range accept {
		t.Run(tt.name, func(t *testing.T) {
			got, err := seal.ParseKey(tt.in)
			if err != nil {
				t.Fatalf("ParseKey(%q): %v", tt.in, err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("ParseKey(%q) = %x, want %x", tt.in, got, tt.want)
			}
		})
	}
	reject := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16])},
		{"31 bytes", base64.StdEncoding.EncodeToString(key[:31])},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(bytes.Clone(key), 1))},
		{"64 bytes", base64.StdEncoding.EncodeToString(append(bytes.Clone(key), key...))},
		{"not base64", strings.Repeat("!", 44)},
		{"a passphrase", "correct horse battery staple"},
	}
	for _, tt := range reject {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := seal.ParseKey(tt.in); err == nil {
				t.Fatalf("ParseKey(%q) = %x, want an error", tt.in, got)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // does not exist yet
	key, created, err := seal.LoadOrCreateKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !created || len(key) != seal.KeySize {
		t.Fatalf("first call: created=%v, %d-byte key; want a new %d-byte key", created, len(key), seal.KeySize)
	}
	path := filepath.Join(dir, seal.KeyFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("%s has mode %o, want 600", seal.KeyFile, mode)
	}
	if b, _ := os.ReadFile(path); !bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString(key))) {
		t.Errorf("%s does not hold the key in base64: %q", seal.KeyFile, b)
	}

	again, created, err := seal.LoadOrCreateKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if created || !bytes.Equal(again, key) {
		t.Fatalf("second call: created=%v, same key %v; want the stored key back", created, bytes.Equal(again, key))
	}

	// Data sealed with the first key opens with the key read back.
	sealed, err := newBox(t, key).Seal([]byte("x"), "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newBox(t, again).Open(sealed, "a"); err != nil {
		t.Fatalf("the key read back does not open what the new key sealed: %v", err)
	}
}

func TestLoadOrCreateKeyConfiguredWins(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := seal.LoadOrCreateKey("", dir); err != nil { // a key file exists
		t.Fatal(err)
	}
	configured := newKey(t)
	got, created, err := seal.LoadOrCreateKey(base64.StdEncoding.EncodeToString(configured), dir)
	if err != nil {
		t.Fatal(err)
	}
	if created || !bytes.Equal(got, configured) {
		t.Fatalf("created=%v, got the configured key %v; want the configured key", created, bytes.Equal(got, configured))
	}

	// A configured key needs no data directory and writes no file.
	empty := t.TempDir()
	if _, _, err := seal.LoadOrCreateKey(base64.StdEncoding.EncodeToString(configured), empty); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(empty, seal.KeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a key file was written although a key was configured: %v", err)
	}
}

func TestLoadOrCreateKeyErrors(t *testing.T) {
	t.Run("bad configured key", func(t *testing.T) {
		dir := t.TempDir()
		if _, _, err := seal.LoadOrCreateKey("too-short", dir); err == nil {
			t.Fatal("a bad configured key was accepted")
		}
		if _, err := os.Stat(filepath.Join(dir, seal.KeyFile)); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("a bad configured key made a key file be generated instead")
		}
	})
	t.Run("damaged key file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, seal.KeyFile)
		if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := seal.LoadOrCreateKey("", dir)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("err = %v; want an error naming %s", err, path)
		}
		if b, _ := os.ReadFile(path); string(b) != "not a key\n" {
			t.Fatal("a damaged key file was overwritten: the data sealed with it would be lost")
		}
	})
}
