package main

import (
	"slices"
	"testing"
)

func TestConfigFromEnv(t *testing.T) {
	c := configFromEnv([]string{
		"PATH=/bin", envTerraformBinary + "=/opt/tf", envTofuArgs + "= -lock-timeout=60s  -parallelism=4 ",
		envPluginCacheDir + "=/cache", "SIGNALBOX_PLUGIN_LOG_LEVEL=debug",
	})
	if c.binaries[appTerraform] != "/opt/tf" || c.binaries[appTofu] != "" {
		t.Errorf("binaries = %v", c.binaries)
	}
	if got := c.args[appTofu]; !slices.Equal(got, []string{"-lock-timeout=60s", "-parallelism=4"}) || len(c.args[appTerraform]) != 0 {
		t.Errorf("args = %v", c.args)
	}
	if c.pluginCacheDir != "/cache" {
		t.Errorf("plugin cache = %q", c.pluginCacheDir)
	}
	// The plugin's own settings do not reach the task's processes.
	for _, kv := range c.env {
		if kv != "PATH=/bin" && kv != "SIGNALBOX_PLUGIN_LOG_LEVEL=debug" {
			t.Errorf("task environment keeps %q", kv)
		}
	}
}
