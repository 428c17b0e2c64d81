package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/signalbox/signalbox/sdk/executor"
)

// Plugin settings, read from the plugin's environment.
const (
	// envTerraformBinary and envTofuBinary are the paths of the binaries of
	// the terraform and tofu apps. Default: "terraform" and "tofu" from PATH.
	envTerraformBinary = "SIGNALBOX_PLUGIN_TERRAFORM_BINARY"
	envTofuBinary      = "SIGNALBOX_PLUGIN_TOFU_BINARY"
	// envTerraformArgs and envTofuArgs are extra arguments (separated by
	// white space) for every plan and apply of the app, such as
	// "-lock-timeout=60s -parallelism=4".
	envTerraformArgs = "SIGNALBOX_PLUGIN_TERRAFORM_ARGS"
	envTofuArgs      = "SIGNALBOX_PLUGIN_TOFU_ARGS"
	// envPluginCacheDir is the provider cache shared by every task (the
	// TF_PLUGIN_CACHE_DIR of the tasks). Default:
	// $TMPDIR/signalbox-terraform-plugin-cache.
	envPluginCacheDir = "SIGNALBOX_PLUGIN_TF_CACHE_DIR"
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
	// args maps an app id to extra arguments of its plan and apply.
	args map[string][]string
	// pluginCacheDir is the shared provider cache.
	pluginCacheDir string
}

// configFromEnv reads the plugin's configuration from its environment.
func configFromEnv(environ []string) config {
	c := config{binaries: map[string]string{}, args: map[string][]string{}}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case handshakeVars[k]:
		case k == envTerraformBinary:
			c.binaries[appTerraform] = v
		case k == envTofuBinary:
			c.binaries[appTofu] = v
		case k == envTerraformArgs:
			c.args[appTerraform] = strings.Fields(v)
		case k == envTofuArgs:
			c.args[appTofu] = strings.Fields(v)
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
