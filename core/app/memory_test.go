package app

import (
	"runtime"
	"testing"
)

func TestMemoryReleaser_Tick(t *testing.T) {
	for name, tc := range map[string]struct {
		busy        bool
		reclaimable uint64
		release     bool
	}{
		"idle with memory to give back releases it": {busy: false, reclaimable: 8 << 20, release: true},
		"idle with little to give back waits":       {busy: false, reclaimable: 100 << 10, release: false},
		"running tasks keep their heap":             {busy: true, reclaimable: 64 << 20, release: false},
	} {
		t.Run(name, func(t *testing.T) {
			released := false
			m := &memoryReleaser{
				busy:        func() bool { return tc.busy },
				reclaimable: func() uint64 { return tc.reclaimable },
				release:     func() { released = true },
				min:         1 << 20,
			}
			if got := m.tick(); got != tc.release || released != tc.release {
				t.Errorf("tick() = %v (released %v), want %v", got, released, tc.release)
			}
		})
	}
}

// The real metrics and release: garbage is collected and given back, and
// what was released does not count again.
func TestMemoryReleaser_Real(t *testing.T) {
	m := newMemoryReleaser(func() bool { return false })
	var keep [][]byte
	for i := 0; i < 64; i++ {
		keep = append(keep, make([]byte, 256<<10))
	}
	runtime.KeepAlive(keep)
	keep = nil
	before := m.reclaimable()
	if before < 16<<20 {
		t.Fatalf("reclaimable = %d bytes after 16 MiB of garbage, want more", before)
	}
	if !m.tick() {
		t.Fatal("tick() did not release 16 MiB of garbage")
	}
	// What the runtime or the test framework allocates meanwhile may leave
	// a little; most must be gone.
	if after := m.reclaimable(); after > before/4 {
		t.Errorf("reclaimable right after a release = %d bytes, was %d", after, before)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if idle := ms.HeapIdle - ms.HeapReleased; idle > 4<<20 {
		t.Errorf("free heap still resident after release = %d bytes", idle)
	}
}
