//go:build !unix

package gitsrc

import "os/exec"

// killProcessGroup leaves cmd as it is: without process groups, only git
// itself is killed when its context ends.
func killProcessGroup(*exec.Cmd) {}
