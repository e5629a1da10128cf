package applog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotatesLargeLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "neurodeskapp.log")
	os.WriteFile(path, make([]byte, maxSize+1), 0o600)
	os.WriteFile(path+".1", []byte("older"), 0o600)
	log, c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("started", "version", "1.2.3")
	c.Close()
	if st, _ := os.Stat(path + ".1"); st.Size() != maxSize+1 {
		t.Error("the large log was not rotated to .1")
	}
	if b, _ := os.ReadFile(path + ".2"); string(b) != "older" {
		t.Error("the older log was not shifted to .2")
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "started") {
		t.Errorf("new log %q", b)
	}
}
