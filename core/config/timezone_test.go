package config

import (
	"strings"
	"testing"
	"time"
)

func TestConfig_TimeZone(t *testing.T) {
	resolve := func(t *testing.T, vars map[string]string) (Config, error) {
		t.Helper()
		c, err := Load("", env(vars))
		if err != nil {
			t.Fatal(err)
		}
		c.DataDir = t.TempDir()
		return c, c.Resolve()
	}
	t.Run("empty means the local zone", func(t *testing.T) {
		c, err := resolve(t, nil)
		if err != nil {
			t.Fatal(err)
		}
		if loc, _ := c.Location(); loc != time.Local {
			t.Errorf("Location() = %v, want Local", loc)
		}
	})
	t.Run("the environment names a zone", func(t *testing.T) {
		c, err := resolve(t, map[string]string{"SIGNALBOX_TIME_ZONE": "UTC"})
		if err != nil {
			t.Fatal(err)
		}
		if loc, _ := c.Location(); loc.String() != "UTC" {
			t.Errorf("Location() = %v, want UTC", loc)
		}
	})
	t.Run("an unknown zone is refused", func(t *testing.T) {
		_, err := resolve(t, map[string]string{"SIGNALBOX_TIME_ZONE": "Mars/Olympus_Mons"})
		if err == nil || !strings.Contains(err.Error(), "time_zone") {
			t.Errorf("Resolve() error = %v, want a time_zone error", err)
		}
	})
}
