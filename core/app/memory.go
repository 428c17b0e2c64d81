package app

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// memoryReleaser gives the heap the server no longer uses back to the
// operating system once the server is idle. Go's runtime does it by itself
// only slowly (minutes), so without it an idle server keeps the memory of
// its start-up, or of its last burst of requests or output, resident.
type memoryReleaser struct {
	// busy says whether work is under way (tasks running): a release then
	// would only cost a collection, the memory being needed again at once.
	busy func() bool
	// reclaimable returns the bytes a release could give back at most:
	// the free heap still resident, plus what was allocated since the
	// last release (garbage, until a collection finds it).
	reclaimable func() uint64
	// release gives them back (debug.FreeOSMemory: a collection, then
	// every free page).
	release func()
	// min is the least worth a release.
	min uint64
}

func newMemoryReleaser(busy func() bool) *memoryReleaser {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	read := func() (free, allocs uint64) {
		metrics.Read(samples)
		if samples[0].Value.Kind() == metrics.KindUint64 {
			free = samples[0].Value.Uint64()
		}
		if samples[1].Value.Kind() == metrics.KindUint64 {
			allocs = samples[1].Value.Uint64()
		}
		return free, allocs
	}
	var lastAllocs uint64 // at the last release: 0, so start-up counts
	return &memoryReleaser{
		busy: busy,
		reclaimable: func() uint64 {
			free, allocs := read()
			return free + allocs - lastAllocs
		},
		release: func() {
			// Two collections: the first only moves pooled buffers to
			// sync.Pool's victim cache, the second frees them.
			runtime.GC()
			debug.FreeOSMemory()
			_, lastAllocs = read()
		},
		min: 1 << 20,
	}
}

// tick releases memory if the server is idle and enough could be released.
// It reports whether it did.
func (m *memoryReleaser) tick() bool {
	if m.busy() || m.reclaimable() < m.min {
		return false
	}
	m.release()
	return true
}

// run ticks at once (what start-up allocated is garbage by now), then
// every period until ctx is done.
func (m *memoryReleaser) run(ctx context.Context, period time.Duration) {
	m.tick()
	every(ctx, period, func() { m.tick() })
}

// every calls fn every period until ctx is done.
func every(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
