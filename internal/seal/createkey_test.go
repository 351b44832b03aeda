package seal_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/tongxin/tongxin/internal/seal"
)

func TestLoadOrCreateKeyRace(t *testing.T) {
	for round := 0; round < 20; round++ {
		dir := t.TempDir()
		var wg sync.WaitGroup
		keys := make([][]byte, 8)
		errs := make([]error, 8)
		for i := range keys {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				keys[i], _, errs[i] = seal.LoadOrCreateKey("", dir)
			}(i)
		}
		wg.Wait()
		for i := range keys {
			if errs[i] != nil {
				t.Fatalf("round %d: %v", round, errs[i])
			}
			if !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("round %d: processes starting together got different keys", round)
			}
		}
	}
}

func TestParseKeyHex(t *testing.T) {
	k := bytes.Repeat([]byte{0xab}, seal.KeySize)
	got, err := seal.ParseKey(strings.Repeat("ab", seal.KeySize))
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("hex key: %x, %v", got, err)
	}
	if _, err := seal.ParseKey(strings.Repeat("ab", seal.KeySize-1)); err == nil {
		t.Fatal("a 31-byte hex key was accepted")
	}
}
