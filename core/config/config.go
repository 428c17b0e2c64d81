// Package config loads and validates the server's configuration: defaults,
// then an optional YAML file, then SIGNALBOX_* environment variables, then
// command-line flags (applied by cmd). Other packages get plain values
// through their constructors and never import this one.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole server configuration.
type Config struct {
	// Listen is the HTTP listen address. Default ":3000". Env SIGNALBOX_LISTEN.
	Listen string `yaml:"listen"`
	// DataDir holds the SQLite database, the secret key, task workspaces and
	// the repository cache. Default "./data". Env SIGNALBOX_DATA_DIR.
	DataDir string `yaml:"data_dir"`
	// Store selects the database.
	Store StoreConfig `yaml:"store"`
	// SecretKey is the base64 AES-256 key that encrypts secrets at rest.
	// Default: read from, or generated into, DataDir/secret.key.
	// Env SIGNALBOX_SECRET_KEY.
	SecretKey string `yaml:"secret_key"`
	// PluginDir is searched for signalbox-plugin-* binaries. Default: the
	// "plugins" folder next to the server binary. Env SIGNALBOX_PLUGIN_DIR.
	PluginDir string `yaml:"plugin_dir"`
	// Plugins names plugin binaries explicitly, optionally pinned by SHA-256.
	Plugins []PluginConfig `yaml:"plugins"`
	// Runner configures task execution.
	Runner RunnerConfig `yaml:"runner"`
	// Retention deletes old tasks and their output in the background.
	Retention RetentionConfig `yaml:"retention"`
	// Admin is the first administrator, created on an empty database only.
	Admin AdminConfig `yaml:"admin"`
	// Log configures logging.
	Log LogConfig `yaml:"log"`
	// CookieSecure marks the session cookie Secure (HTTPS only). Default
	// false. Env SIGNALBOX_COOKIE_SECURE.
	CookieSecure bool `yaml:"cookie_secure"`
	// TimeZone is the IANA time zone ("Europe/Berlin", "UTC") that
	// schedules' cron expressions are read in. Default "": the server's
	// local zone. Env SIGNALBOX_TIME_ZONE.
	TimeZone string `yaml:"time_zone"`
}

// StoreConfig selects the database.
type StoreConfig struct {
	// Driver is "sqlite" (default), "postgres", "mysql", or the name of a
	// storage plugin, such as "bolt" (the binary
	// signalbox-plugin-storage-<name>). Env SIGNALBOX_STORE.
	Driver string `yaml:"driver"`
	// DSN is the data source name: for sqlite and bolt a file path, for a
	// storage plugin whatever it takes. Defaults: DataDir/signalbox.db for
	// sqlite, DataDir/signalbox.bolt for bolt. Env SIGNALBOX_STORE_DSN.
	DSN string `yaml:"dsn"`
	// Settings are a storage plugin's further options, by name.
	Settings map[string]string `yaml:"settings"`
}

// The store drivers served in-process; any other name is a storage plugin.
const (
	StoreSQLite   = "sqlite"
	StorePostgres = "postgres"
	StoreMySQL    = "mysql"
	// StoreBolt is the built-in bolt storage plugin.
	StoreBolt = "bolt"
)

// IsSQL says whether a store driver is served in-process by SQL.
func (s StoreConfig) IsSQL() bool {
	return s.Driver == StoreSQLite || s.Driver == StorePostgres || s.Driver == StoreMySQL
}

// validPluginName matches a storage plugin's name.
var validPluginName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// resolve fills the store's defaults and checks its driver.
func (s *StoreConfig) resolve(dataDir string) error {
	if s.Driver == "" {
		s.Driver = StoreSQLite
	}
	switch s.Driver {
	case StoreSQLite:
		if s.DSN == "" {
			s.DSN = filepath.Join(dataDir, "signalbox.db")
		}
	case StorePostgres, StoreMySQL:
		if s.DSN == "" {
			return fmt.Errorf("store %s needs a DSN (SIGNALBOX_STORE_DSN)", s.Driver)
		}
	case StoreBolt:
		if s.DSN == "" {
			s.DSN = filepath.Join(dataDir, "signalbox.bolt")
		}
	default:
		if !validPluginName.MatchString(s.Driver) {
			return fmt.Errorf("store driver %q: want sqlite, postgres, mysql, bolt, or the name of a storage plugin (lower-case letters, digits, - and _)", s.Driver)
		}
	}
	return nil
}

// PluginConfig names one plugin binary.
type PluginConfig struct {
	// Name is the plugin's name, e.g. "shell".
	Name string `yaml:"name"`
	// Path is the binary's path.
	Path string `yaml:"path"`
	// SHA256 pins the binary's hex SHA-256; a changed binary is refused. Optional.
	SHA256 string `yaml:"sha256"`
}

// RunnerConfig configures task execution.
type RunnerConfig struct {
	// MaxParallel is how many tasks run at once on this server. Default 10.
	// Env SIGNALBOX_MAX_PARALLEL_TASKS.
	MaxParallel int `yaml:"max_parallel"`
	// WorkDir is where per-task workspaces are made. Default DataDir/work.
	WorkDir string `yaml:"work_dir"`
	// RepoCacheDir caches repository clones. Default DataDir/repos.
	RepoCacheDir string `yaml:"repo_cache_dir"`
	// StopGracePeriod is how long a stopped task may take to end before it
	// is killed. Default 10s.
	StopGracePeriod time.Duration `yaml:"stop_grace_period"`
	// LeaseDuration is how long a claimed task stays owned without renewal.
	// Default 30s.
	LeaseDuration time.Duration `yaml:"lease_duration"`
}

// RetentionConfig says which finished tasks to keep. Zero keeps all.
type RetentionConfig struct {
	// MaxTasksPerTemplate keeps the newest N finished tasks of each
	// template. Default 0 (all). Env SIGNALBOX_RETENTION_MAX_TASKS.
	MaxTasksPerTemplate int `yaml:"max_tasks_per_template"`
	// MaxDays deletes finished tasks that ended more than N days ago.
	// Default 0 (never). Env SIGNALBOX_RETENTION_MAX_DAYS.
	MaxDays int `yaml:"max_days"`
}

// AdminConfig is the first administrator.
type AdminConfig struct {
	// Login of the first admin. Default "admin". Env SIGNALBOX_ADMIN_LOGIN.
	Login string `yaml:"login"`
	// Password of the first admin. Default: generated and printed once.
	// Env SIGNALBOX_ADMIN_PASSWORD.
	Password string `yaml:"password"`
	// Email of the first admin. Default "admin@localhost". Env SIGNALBOX_ADMIN_EMAIL.
	Email string `yaml:"email"`
}

// LogConfig configures logging.
type LogConfig struct {
	// Level is trace, debug, info, warn or error. Default info. Env SIGNALBOX_LOG_LEVEL.
	Level string `yaml:"level"`
	// Format is "text" or "json". Default text. Env SIGNALBOX_LOG_FORMAT.
	Format string `yaml:"format"`
}

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Listen:  ":3000",
		DataDir: "data",
		Store:   StoreConfig{Driver: "sqlite"},
		Runner: RunnerConfig{
			MaxParallel:     10,
			StopGracePeriod: 10 * time.Second,
			LeaseDuration:   30 * time.Second,
		},
		Admin: AdminConfig{Login: "admin", Email: "admin@localhost"},
		Log:   LogConfig{Level: "info", Format: "text"},
	}
}

// Load returns the defaults overlaid with the YAML file at path (when path is
// not empty) and the environment (lookup is os.LookupEnv in production).
func Load(path string, lookup func(string) (string, bool)) (Config, error) {
	cfg := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("parse config %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, lookup); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func applyEnv(cfg *Config, lookup func(string) (string, bool)) error {
	str := func(key string, dst *string) {
		if v, ok := lookup(key); ok && v != "" {
			*dst = v
		}
	}
	str("SIGNALBOX_LISTEN", &cfg.Listen)
	str("SIGNALBOX_DATA_DIR", &cfg.DataDir)
	str("SIGNALBOX_STORE", &cfg.Store.Driver)
	str("SIGNALBOX_STORE_DSN", &cfg.Store.DSN)
	str("SIGNALBOX_SECRET_KEY", &cfg.SecretKey)
	str("SIGNALBOX_PLUGIN_DIR", &cfg.PluginDir)
	str("SIGNALBOX_ADMIN_LOGIN", &cfg.Admin.Login)
	str("SIGNALBOX_ADMIN_PASSWORD", &cfg.Admin.Password)
	str("SIGNALBOX_ADMIN_EMAIL", &cfg.Admin.Email)
	str("SIGNALBOX_LOG_LEVEL", &cfg.Log.Level)
	str("SIGNALBOX_LOG_FORMAT", &cfg.Log.Format)
	str("SIGNALBOX_WORK_DIR", &cfg.Runner.WorkDir)
	str("SIGNALBOX_TIME_ZONE", &cfg.TimeZone)
	if v, ok := lookup("SIGNALBOX_MAX_PARALLEL_TASKS"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("SIGNALBOX_MAX_PARALLEL_TASKS: %q is not a number", v)
		}
		cfg.Runner.MaxParallel = n
	}
	for key, dst := range map[string]*int{
		"SIGNALBOX_RETENTION_MAX_TASKS": &cfg.Retention.MaxTasksPerTemplate,
		"SIGNALBOX_RETENTION_MAX_DAYS":  &cfg.Retention.MaxDays,
	} {
		if v, ok := lookup(key); ok && v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("%s: %q is not a non-negative number", key, v)
			}
			*dst = n
		}
	}
	if v, ok := lookup("SIGNALBOX_COOKIE_SECURE"); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("SIGNALBOX_COOKIE_SECURE: %q is not a boolean", v)
		}
		cfg.CookieSecure = b
	}
	return nil
}

// Resolve fills the defaults that depend on other fields (paths under
// DataDir, the plugin dir next to the executable) and validates.
func (c *Config) Resolve() error {
	if c.DataDir == "" {
		return errors.New("data_dir must not be empty")
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	c.DataDir = abs
	if err := c.Store.resolve(c.DataDir); err != nil {
		return err
	}
	if c.Runner.WorkDir == "" {
		c.Runner.WorkDir = filepath.Join(c.DataDir, "work")
	}
	if c.Runner.RepoCacheDir == "" {
		c.Runner.RepoCacheDir = filepath.Join(c.DataDir, "repos")
	}
	if c.PluginDir == "" {
		if exe, err := os.Executable(); err == nil {
			c.PluginDir = filepath.Join(filepath.Dir(exe), "plugins")
		}
	}
	if c.Retention.MaxTasksPerTemplate < 0 || c.Retention.MaxDays < 0 {
		return fmt.Errorf("retention limits must not be negative")
	}
	if c.Runner.MaxParallel < 1 {
		return fmt.Errorf("runner.max_parallel must be at least 1, got %d", c.Runner.MaxParallel)
	}
	if c.Runner.StopGracePeriod <= 0 {
		c.Runner.StopGracePeriod = 10 * time.Second
	}
	if c.Runner.LeaseDuration < time.Second {
		return fmt.Errorf("runner.lease_duration must be at least 1s, got %s", c.Runner.LeaseDuration)
	}
	for _, p := range c.Plugins {
		if p.Name == "" || p.Path == "" {
			return fmt.Errorf("plugins: every entry needs name and path")
		}
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("log.format %q: want text or json", c.Log.Format)
	}
	if _, err := c.Location(); err != nil {
		return err
	}
	return nil
}
