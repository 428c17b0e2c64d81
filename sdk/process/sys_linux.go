package process

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func sysProcAttr() *syscall.SysProcAttr {
	// Pdeathsig kills the command if the plugin process dies (the host then
	// kills the rest of the group, which it learnt from ProcessStarted).
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitLeader waits until the command has exited and returns the function
// that reaps it. The leader is left a zombie until then (waitid WNOWAIT), so
// its process group id cannot be reused before Run has killed the group.
//
// The wait parks the goroutine on a pidfd in the runtime's poller rather
// than blocking a thread in waitid: a plugin running many tasks at once
// would otherwise keep one OS thread (and its stacks) per task for good,
// since the runtime never gives threads back.
func waitLeader(cmd *exec.Cmd) func() error {
	pid := cmd.Process.Pid
	if err := pollExit(pid); err != nil {
		blockExit(pid)
	}
	return cmd.Wait
}

// pollExit waits on a pidfd until the process can be waited for.
func pollExit(pid int) error {
	// The child is ours and not reaped, so pid still names it.
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	err = rc.Read(func(fd uintptr) bool {
		exited, err := waitable(unix.P_PIDFD, int(fd), unix.WNOHANG)
		if err != nil {
			werr = err
			return true
		}
		return exited
	})
	return errors.Join(err, werr)
}

// blockExit waits in waitid until the process can be waited for: the
// fallback where pidfds cannot be polled.
func blockExit(pid int) {
	for {
		_, err := waitable(unix.P_PID, pid, 0)
		if !errors.Is(err, syscall.EINTR) {
			// Any other error cannot happen for our own child; cmd.Wait
			// then reaps it directly.
			return
		}
	}
}

// waitable reports whether the process id names has exited, leaving it
// unreaped; options may add WNOHANG.
func waitable(idType, id, options int) (bool, error) {
	var info unix.Siginfo // zeroed: Signo stays 0 when nothing is waitable
	_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, uintptr(idType), uintptr(id),
		uintptr(unsafe.Pointer(&info)), uintptr(syscall.WEXITED|unix.WNOWAIT|options), 0, 0)
	if errno != 0 {
		return false, errno
	}
	return info.Signo == int32(syscall.SIGCHLD), nil
}
