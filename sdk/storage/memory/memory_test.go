package memory_test

import (
	"testing"

	"github.com/signalbox/signalbox/sdk/plugintest"
	"github.com/signalbox/signalbox/sdk/storage"
	"github.com/signalbox/signalbox/sdk/storage/memory"
)

func TestBackend_Conformance(t *testing.T) {
	plugintest.StorageConformance(t, func(t *testing.T) storage.Backend {
		b := memory.New()
		t.Cleanup(func() { _ = b.Close() })
		return b
	})
}
