//go:build unix

package host

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// removeStaleSocketDirs removes, in tmp, the socket directories of this
// user's hosts that are gone (killed before they could clean up): their
// name holds the host's pid. A directory whose pid runs again (reused) is
// kept; it is left for a later sweep.
func removeStaleSocketDirs(tmp string) {
	matches, _ := filepath.Glob(filepath.Join(tmp, socketDirPrefix+"*-*"))
	for _, dir := range matches {
		rest := strings.TrimPrefix(filepath.Base(dir), socketDirPrefix)
		pid, err := strconv.Atoi(rest[:max(0, strings.IndexByte(rest, '-'))])
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue // alive, or not ours to ask about
		}
		st, err := os.Lstat(dir)
		if err != nil || !st.IsDir() {
			continue
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); !ok || int(sys.Uid) != os.Getuid() {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}
