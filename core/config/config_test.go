package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("listen: \":4000\"\nrunner:\n  max_parallel: 3\n  stop_grace_period: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("no_such_field: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		file    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		"defaults": {check: func(t *testing.T, c Config) {
			if c.Listen != ":3000" || c.Store.Driver != "sqlite" || c.Runner.MaxParallel != 10 || c.Admin.Login != "admin" {
				t.Errorf("defaults = %+v", c)
			}
		}},
		"the file overrides defaults": {file: file, check: func(t *testing.T, c Config) {
			if c.Listen != ":4000" || c.Runner.MaxParallel != 3 || c.Runner.StopGracePeriod != 5*time.Second {
				t.Errorf("config = %+v", c)
			}
		}},
		"the environment overrides the file": {file: file, env: map[string]string{"SIGNALBOX_LISTEN": ":5000", "SIGNALBOX_MAX_PARALLEL_TASKS": "7", "SIGNALBOX_STORE": "postgres", "SIGNALBOX_STORE_DSN": "host=x"},
			check: func(t *testing.T, c Config) {
				if c.Listen != ":5000" || c.Runner.MaxParallel != 7 || c.Store.Driver != "postgres" || c.Store.DSN != "host=x" {
					t.Errorf("config = %+v", c)
				}
			}},
		"an unknown field in the file is refused":    {file: bad, wantErr: "no_such_field"},
		"a bad number in the environment is refused": {env: map[string]string{"SIGNALBOX_MAX_PARALLEL_TASKS": "many"}, wantErr: "not a number"},
		"retention from the environment": {env: map[string]string{"SIGNALBOX_RETENTION_MAX_TASKS": "50", "SIGNALBOX_RETENTION_MAX_DAYS": "30"},
			check: func(t *testing.T, c Config) {
				if c.Retention.MaxTasksPerTemplate != 50 || c.Retention.MaxDays != 30 {
					t.Errorf("retention = %+v", c.Retention)
				}
			}},
		"a negative retention is refused": {env: map[string]string{"SIGNALBOX_RETENTION_MAX_DAYS": "-1"}, wantErr: "non-negative"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Load(tc.file, env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestResolve(t *testing.T) {
	for name, tc := range map[string]struct {
		mod     func(c *Config)
		wantErr string
	}{
		"defaults resolve":                   {mod: func(c *Config) {}},
		"bolt gets a file in the data dir":   {mod: func(c *Config) { c.Store.Driver = "bolt" }},
		"a storage plugin by name":           {mod: func(c *Config) { c.Store.Driver = "etcd"; c.Store.DSN = "http://127.0.0.1:2379" }},
		"postgres without a DSN":             {mod: func(c *Config) { c.Store.Driver = "postgres" }, wantErr: "needs a DSN"},
		"a driver that cannot name a plugin": {mod: func(c *Config) { c.Store.Driver = "Oracle DB" }, wantErr: "want sqlite"},
		"zero parallel tasks":                {mod: func(c *Config) { c.Runner.MaxParallel = 0 }, wantErr: "at least 1"},
		"a plugin entry without its path":    {mod: func(c *Config) { c.Plugins = []PluginConfig{{Name: "x"}} }, wantErr: "name and path"},
	} {
		t.Run(name, func(t *testing.T) {
			c := Default()
			c.DataDir = t.TempDir()
			tc.mod(&c)
			err := c.Resolve()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Store.Driver == "sqlite" && c.Store.DSN != filepath.Join(c.DataDir, "signalbox.db") || c.Runner.WorkDir == "" {
					t.Errorf("resolved = %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Resolve() error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
