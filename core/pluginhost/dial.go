package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/signalbox/signalbox/sdk/host"
)

// configError is a plugin that cannot start because of how it is
// configured (a bad or mismatched SHA-256 pin): starting it again will not
// help, unlike a missing binary or a crash.
type configError struct{ error }

func isConfigError(err error) bool {
	var c configError
	return errors.As(err, &c)
}

// dial starts the binary of spec as l says (l's Path, Sockets and Checksum
// come from spec and sockets) and connects to it. what names the plugin
// kind in errors ("plugin", "storage plugin").
func dial(spec Spec, what string, sockets *host.SocketDir, l host.Launch) (*goplugin.Client, goplugin.ClientProtocol, error) {
	l.Path, l.Sockets = spec.Path, sockets
	if spec.SHA256 != "" {
		sum, err := hex.DecodeString(spec.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, nil, configError{fmt.Errorf("%s %s: sha256 %q is not a hex SHA-256 digest", what, spec.Name, spec.SHA256)}
		}
		l.Checksum = &goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}
	if _, err := os.Stat(spec.Path); err != nil {
		return nil, nil, fmt.Errorf("%s %s: binary %s: %v", what, spec.Name, spec.Path, err)
	}
	cfg, err := l.ClientConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: socket directory: %v", what, spec.Name, err)
	}
	proc := goplugin.NewClient(cfg)
	rpc, err := proc.Client()
	if err != nil {
		proc.Kill()
		if errors.Is(err, goplugin.ErrChecksumsDoNotMatch) {
			return nil, nil, configError{fmt.Errorf("%s %s: binary %s does not match its pinned sha256: refusing to run it", what, spec.Name, spec.Path)}
		}
		return nil, nil, fmt.Errorf("%s %s: start %s: %v", what, spec.Name, spec.Path, err)
	}
	return proc, rpc, nil
}
