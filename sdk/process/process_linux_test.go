package process_test

import (
	"os"
	"sync"
	"testing"

	"github.com/signalbox/signalbox/sdk/process"
)

// threads counts the OS threads of this process.
func threads(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestRun_WaitsWithoutThreads runs many commands at once and checks that
// waiting for them does not hold an OS thread each (the runtime never gives
// threads back, so a plugin would keep them, and their stacks, for good).
func TestRun_WaitsWithoutThreads(t *testing.T) {
	const n = 40
	before := threads(t)
	started := make(chan struct{}, n)
	release, err := os.CreateTemp(t.TempDir(), "release")
	if err != nil {
		t.Fatal(err)
	}
	release.Close()
	var wg sync.WaitGroup
	for range n {
		out := &output{}
		wg.Go(func() {
			// Each command announces itself, then waits for the file to go.
			cmd := bash(`echo up; while [ -e "$1" ]; do sleep 0.05; done`)
			cmd.Args = append(cmd.Args, "-", release.Name())
			var once sync.Once
			out.before = func() { once.Do(func() { started <- struct{}{} }) }
			if code, err := process.Run(t.Context(), cmd, out); code != 0 || err != nil {
				t.Errorf("Run = %d, %v", code, err)
			}
		})
	}
	for range n {
		<-started
	}
	during := threads(t)
	if err := os.Remove(release.Name()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if grown := during - before; grown >= n/2 {
		t.Errorf("threads grew from %d to %d while %d commands ran: waiting holds a thread per command", before, during, n)
	}
	t.Logf("threads: %d before, %d with %d commands running", before, during, n)
}
