package storetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/signalbox/signalbox/core/pluginhost"
	"github.com/signalbox/signalbox/sdk/storage"
)

// EnvBoltPlugin names a built bolt plugin binary for the bolt backend;
// without it, storetest builds plugins/storage-bolt once per test process.
const EnvBoltPlugin = "SIGNALBOX_TEST_BOLT_PLUGIN"

var (
	boltOnce sync.Once
	boltBin  string
	boltErr  error
)

// boltPlugin returns the path of the bolt plugin binary, building it once.
func boltPlugin(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvBoltPlugin); p != "" {
		return p
	}
	boltOnce.Do(func() {
		// One shared folder, so that test runs do not leave a binary each;
		// the rename makes a concurrent build by another package harmless.
		dir := filepath.Join(os.TempDir(), "signalbox-storetest")
		if boltErr = os.MkdirAll(dir, 0o700); boltErr != nil {
			return
		}
		boltBin = filepath.Join(dir, "signalbox-plugin-storage-bolt")
		tmp := fmt.Sprintf("%s.%d", boltBin, os.Getpid())
		out, err := exec.Command("go", "build", "-o", tmp, "github.com/signalbox/signalbox/plugins/storage-bolt").CombinedOutput()
		if err != nil {
			boltErr = fmt.Errorf("build the bolt plugin: %v\n%s", err, out)
			return
		}
		boltErr = os.Rename(tmp, boltBin)
	})
	if boltErr != nil {
		t.Fatalf("storetest: %v", boltErr)
	}
	return boltBin
}

// openBolt starts the bolt storage plugin, as the server does, on a file
// in a temporary folder.
func openBolt(t testing.TB) storage.Backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	b, err := pluginhost.OpenStorage(ctx, pluginhost.StorageConfig{
		Spec: pluginhost.Spec{Name: "storage-bolt", Path: boltPlugin(t)},
		Open: storage.Config{DSN: filepath.Join(t.TempDir(), "signalbox.bolt")},
		Env:  []string{"PATH=" + os.Getenv("PATH")},
		Log:  testLogger(t),
	})
	if err != nil {
		t.Fatalf("storetest: start the bolt plugin: %v", err)
	}
	return b
}
