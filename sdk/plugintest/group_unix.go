//go:build unix

package plugintest

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// WaitProcessGroupGone polls until process group pgid has no member left, for
// at most limit, and returns an error if one remains. Killed members may
// linger as zombies until their parent or init reaps them, so check with
// this rather than a single kill(-pgid, 0).
func WaitProcessGroupGone(pgid int, limit time.Duration) error {
	if pgid <= 0 {
		return fmt.Errorf("invalid process group id %d", pgid)
	}
	deadline := time.Now().Add(limit)
	for {
		err := syscall.Kill(-pgid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still there after %v (kill 0: %v)", limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
