package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/signalbox/signalbox/sdk/executor"
)

// Plugin settings, read from the plugin's environment.
const (
	// envTerraformBinary and envTofuBinary are the paths of the binaries of
	// the terraform and tofu apps. Default: "terraform" and "tofu" from PATH.
	envTerraformBinary = "SIGNALBOX_TERRAFORM_BINARY"
	envTofuBinary      = "SIGNALBOX_TOFU_BINARY"
	// envPluginCacheDir is the provider cache shared by every task (the
	// TF_PLUGIN_CACHE_DIR of the tasks). Default:
	// $TMPDIR/signalbox-terraform-plugin-cache.
	envPluginCacheDir = "SIGNALBOX_TF_PLUGIN_CACHE_DIR"
)

// defaultEnv are the variables the plugin sets for Terraform unless the
// task's Env sets them.
var defaultEnv = map[string]string{
	// Terraform shortens the hints that make sense at a prompt only.
	"TF_IN_AUTOMATION": "1",
	// Never wait for input nobody can give.
	"TF_INPUT": "0",
	// No version check calls home.
	"CHECKPOINT_DISABLE": "1",
}

// handshakeVars are the variables go-plugin sets for the plugin's
// handshake; a task's processes do not inherit them.
var handshakeVars = map[string]bool{
	executor.Handshake.MagicCookieKey: true,
	"PLUGIN_CLIENT_CERT":              true,
	"PLUGIN_MIN_PORT":                 true,
	"PLUGIN_MAX_PORT":                 true,
	"PLUGIN_MULTIPLEX_GRPC":           true,
	"PLUGIN_PROTOCOL_VERSIONS":        true,
	"PLUGIN_UNIX_SOCKET_DIR":          true,
	"PLUGIN_UNIX_SOCKET_GROUP":        true,
}

// config is the plugin's configuration.
type config struct {
	// env is the base of every task's environment: the plugin's own,
	// without the handshake and the plugin's settings.
	env []string
	// binaries maps an app id to its binary's path, when configured.
	binaries map[string]string
	// pluginCacheDir is the shared provider cache.
	pluginCacheDir string
}

// configFromEnv reads the plugin's configuration from its environment.
func configFromEnv(environ []string) config {
	c := config{binaries: map[string]string{}}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case handshakeVars[k]:
		case k == envTerraformBinary:
			c.binaries[appTerraform] = v
		case k == envTofuBinary:
			c.binaries[appTofu] = v
		case k == envPluginCacheDir:
			c.pluginCacheDir = v
		default:
			c.env = append(c.env, kv)
		}
	}
	if c.pluginCacheDir == "" {
		c.pluginCacheDir = filepath.Join(os.TempDir(), "signalbox-terraform-plugin-cache")
	}
	return c
}

// envList is an environment in KEY=VALUE form; a variable set again keeps
// its place.
type envList struct {
	vars  []string
	index map[string]int
}

func newEnvList(base []string) *envList {
	e := &envList{index: map[string]int{}}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			e.set(k, v)
		}
	}
	return e
}

func (e *envList) get(k string) (string, bool) {
	i, ok := e.index[k]
	if !ok {
		return "", false
	}
	_, v, _ := strings.Cut(e.vars[i], "=")
	return v, true
}

func (e *envList) set(k, v string) {
	if i, ok := e.index[k]; ok {
		e.vars[i] = k + "=" + v
		return
	}
	e.index[k] = len(e.vars)
	e.vars = append(e.vars, k+"="+v)
}

// setAll sets vars in the order of their names, after checking that they
// can be environment variables.
func (e *envList) setAll(vars map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		v := vars[k]
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return fmt.Errorf("environment variable %q: invalid name or value", k)
		}
		e.set(k, v)
	}
	return nil
}
