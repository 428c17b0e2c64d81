package executor

import (
	"runtime"
	"testing"
)

func TestSetMaxProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for name, tc := range map[string]struct {
		start, n int
		env      string
		want     int
	}{
		"the default applies":           {start: 4, n: DefaultMaxProcs, want: DefaultMaxProcs},
		"the plugin's choice applies":   {start: 4, n: 2, want: 2},
		"0 keeps the runtime's choice":  {start: 3, n: 0, want: 3},
		"the environment variable wins": {start: 3, n: 1, env: "3", want: 3},
	} {
		t.Run(name, func(t *testing.T) {
			runtime.GOMAXPROCS(tc.start)
			if got := setMaxProcs(tc.n, tc.env); got != tc.want {
				t.Errorf("GOMAXPROCS = %d, want %d", got, tc.want)
			}
		})
	}
}
