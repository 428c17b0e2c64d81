//go:build unix && !linux

package process

import (
	"os/exec"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// waitLeader reaps the command and returns its result. The group is killed
// right after; its id stays in use while any member lives.
func waitLeader(cmd *exec.Cmd) func() error {
	err := cmd.Wait()
	return func() error { return err }
}
