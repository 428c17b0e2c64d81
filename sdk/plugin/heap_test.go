package plugin

import (
	"runtime"
	"testing"
)

func TestDisableHeapSampling(t *testing.T) {
	defer func(r int) { runtime.MemProfileRate = r }(runtime.MemProfileRate)
	for name, tc := range map[string]struct{ before, after int }{
		"the default is turned off":     {512 * 1024, 0},
		"a rate the plugin set is kept": {4096, 4096},
	} {
		t.Run(name, func(t *testing.T) {
			runtime.MemProfileRate = tc.before
			disableHeapSampling()
			if runtime.MemProfileRate != tc.after {
				t.Errorf("MemProfileRate = %d, want %d", runtime.MemProfileRate, tc.after)
			}
		})
	}
}
