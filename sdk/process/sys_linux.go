package process

import (
	"errors"
	"os/exec"
	"syscall"
	"unsafe"
)

func sysProcAttr() *syscall.SysProcAttr {
	// Pdeathsig kills the command if the plugin process dies (the host then
	// kills the rest of the group, which it learnt from ProcessStarted).
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitLeader blocks until the command has exited and returns the function
// that reaps it. The leader is left a zombie until then (waitid WNOWAIT), so
// its process group id cannot be reused before Run has killed the group.
func waitLeader(cmd *exec.Cmd) func() error {
	const pPID = 1      // idtype_t P_PID
	var info [16]uint64 // siginfo_t: 128 bytes
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(cmd.Process.Pid),
			uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno == 0 {
			return cmd.Wait
		}
		if !errors.Is(errno, syscall.EINTR) {
			// Cannot happen for our own child; reaping first is the
			// portable fallback.
			err := cmd.Wait()
			return func() error { return err }
		}
	}
}
