package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/signalbox/signalbox/sdk/storage"
)

// Version is the bolt plugin's version.
const Version = "0.1.0"

// The settings and their defaults.
const (
	settingLockTimeout = "lock_timeout"
	settingNoSync      = "no_sync"

	defaultLockTimeout = 5 * time.Second
)

// Plugin opens bolt stores.
type Plugin struct{}

var _ storage.Plugin = (*Plugin)(nil)

// Describe names the plugin "bolt".
func (*Plugin) Describe(context.Context) (storage.Description, error) {
	return storage.Description{Name: "bolt", Version: Version}, nil
}

// settings are the parsed Config.Settings.
type settings struct {
	lockTimeout time.Duration
	noSync      bool
}

func parseSettings(m map[string]string) (settings, error) {
	s := settings{lockTimeout: defaultLockTimeout}
	for name, v := range m {
		switch name {
		case settingLockTimeout:
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d <= 0 {
				return s, fmt.Errorf("%w: setting %s: %q is not a positive duration such as 5s", storage.ErrInvalid, name, v)
			}
			s.lockTimeout = d
		case settingNoSync:
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return s, fmt.Errorf("%w: setting %s: %q is not true or false", storage.ErrInvalid, name, v)
			}
			s.noSync = b
		default:
			known := []string{settingLockTimeout, settingNoSync}
			slices.Sort(known)
			return s, fmt.Errorf("%w: unknown setting %q (the bolt plugin knows %s)", storage.ErrInvalid, name, strings.Join(known, ", "))
		}
	}
	return s, nil
}

// Open opens (or creates) the bolt file cfg.DSN names. Its folder is
// created with mode 0700 and the file with mode 0600. When another process
// has the file open, Open waits for its lock up to lock_timeout, then fails
// with an error wrapping storage.ErrUnavailable.
func (*Plugin) Open(_ context.Context, cfg storage.Config) (storage.Backend, error) {
	s, err := parseSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	path := strings.TrimSpace(cfg.DSN)
	if path == "" {
		return nil, fmt.Errorf("%w: the DSN must be the path of the bolt file", storage.ErrInvalid)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the folder of %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      s.lockTimeout,
		NoSync:       s.noSync,
		FreelistType: bolt.FreelistMapType,
	})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s is locked by another process (a Signalbox server or plugin still running?); gave up after lock_timeout %v",
			storage.ErrUnavailable, path, s.lockTimeout)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrChecksum):
		return nil, fmt.Errorf("open %s: not a usable bolt file: %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	st, err := newStore(db, path)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return st, nil
}
