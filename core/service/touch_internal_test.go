package service

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTouches_Claim(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var tc touches
	for _, step := range []struct {
		name string
		id   int64
		at   time.Time
		want bool
	}{
		{"a session's first touch", 1, t0, true},
		{"again within the period", 1, t0.Add(30 * time.Second), false},
		{"another session", 2, t0.Add(30 * time.Second), true},
		{"after the period", 1, t0.Add(touchEvery), true},
	} {
		if got := tc.claim(step.id, step.at); got != step.want {
			t.Errorf("%s: claim = %t, want %t", step.name, got, step.want)
		}
	}

	t.Run("of concurrent requests one touches", func(t *testing.T) {
		var tc touches
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if tc.claim(7, t0) {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d claims won, want 1", wins.Load())
		}
	})

	t.Run("old entries are dropped when the map is large", func(t *testing.T) {
		var tc touches
		for i := range int64(10000) {
			tc.claim(i, t0)
		}
		tc.claim(-1, t0.Add(2*touchEvery))
		if n := len(tc.last); n != 1 {
			t.Fatalf("%d sessions remembered, want 1", n)
		}
	})
}
