//go:build unix

package host

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestRemoveStaleSocketDirs(t *testing.T) {
	tmp := t.TempDir()
	// A pid that surely ran and is gone: a process that has exited (this
	// test binary, running no test).
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	dirs := map[string]bool{ // name → kept
		fmt.Sprintf("%s%d-123", socketDirPrefix, dead):         false,
		fmt.Sprintf("%s%d-456", socketDirPrefix, os.Getpid()):  true, // this process
		fmt.Sprintf("%s%d-789", socketDirPrefix, os.Getppid()): true, // alive
		socketDirPrefix + "notapid-1":                          true,
		"other-" + fmt.Sprint(dead) + "-1":                     true,
	}
	for name := range dirs {
		if err := os.MkdirAll(filepath.Join(tmp, name, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleSocketDirs(tmp)
	for name, kept := range dirs {
		_, err := os.Stat(filepath.Join(tmp, name))
		if got := err == nil; got != kept {
			t.Errorf("%s kept = %v, want %v", name, got, kept)
		}
	}
}
