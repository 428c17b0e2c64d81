package config

import (
	"fmt"
	"strings"
	"time"
)

// Location returns the time zone TimeZone names: the server's local zone
// when it is empty.
func (c Config) Location() (*time.Location, error) {
	name := strings.TrimSpace(c.TimeZone)
	if name == "" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time_zone %q: not a known IANA time zone (such as UTC or Europe/Berlin): %w", c.TimeZone, err)
	}
	return loc, nil
}
