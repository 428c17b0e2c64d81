package scheduler

import (
	"testing"
	"time"
)

func TestNextTick(t *testing.T) {
	t.Parallel()
	tokyo := time.FixedZone("UTC+9", 9*3600)
	base := time.Date(2030, 5, 10, 12, 0, 0, 500_000_000, time.UTC) // 21:00:00.5 in UTC+9
	for name, tc := range map[string]struct {
		spec string
		loc  *time.Location
		want time.Time
	}{
		"five fields are read in the server's time zone": {"30 22 * * *", tokyo, time.Date(2030, 5, 10, 13, 30, 0, 0, time.UTC)},
		"the same expression in UTC":                     {"30 22 * * *", time.UTC, time.Date(2030, 5, 10, 22, 30, 0, 0, time.UTC)},
		"six fields start with seconds":                  {"*/10 * * * * *", time.UTC, time.Date(2030, 5, 10, 12, 0, 10, 0, time.UTC)},
		"a descriptor":                                   {"@hourly", time.UTC, time.Date(2030, 5, 10, 13, 0, 0, 0, time.UTC)},
		"@every falls on multiples of its interval":      {"@every 1m", tokyo, time.Date(2030, 5, 10, 12, 1, 0, 0, time.UTC)},
		"@every 1s ticks on the next whole second":       {"@every 1s", time.UTC, time.Date(2030, 5, 10, 12, 0, 1, 0, time.UTC)},
	} {
		t.Run(name, func(t *testing.T) {
			spec, err := parser.Parse(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			got := nextTick(spec, base.In(tc.loc))
			if !got.Equal(tc.want) {
				t.Errorf("nextTick(%q) = %s, want %s", tc.spec, got.UTC(), tc.want)
			}
		})
	}
	t.Run("@every ticks do not depend on when the server started", func(t *testing.T) {
		spec, _ := parser.Parse("@every 90s")
		for _, start := range []time.Time{base, base.Add(37 * time.Second), base.Add(time.Hour + 3*time.Millisecond)} {
			tick := nextTick(spec, start)
			if !tick.After(start) || tick.Sub(start) > 90*time.Second || !tick.Truncate(90*time.Second).Equal(tick) {
				t.Errorf("nextTick(@every 90s, %s) = %s; want the next multiple of 90s", start, tick)
			}
		}
	})
}
