//go:build !unix

package plugintest

import "time"

// WaitProcessGroupGone returns nil: process groups exist on Unix only.
func WaitProcessGroupGone(int, time.Duration) error { return nil }
