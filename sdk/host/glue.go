package host

import (
	"context"
	"errors"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/storage"
)

// ExecutorPlugin is go-plugin's glue for executors: a host dispenses a
// *executor.Client from it. Impl is set only to serve an executor over
// go-plugin's in-process test connection.
type ExecutorPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl executor.Executor
	// Log is the served executor's logger; nil means none.
	Log hclog.Logger
}

var _ goplugin.GRPCPlugin = (*ExecutorPlugin)(nil)

// GRPCServer registers Impl's executor service.
func (p *ExecutorPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("executor plugin: nothing to serve (Impl is nil)")
	}
	executor.Register(s, p.Impl, p.Log)
	return nil
}

// GRPCClient returns a *executor.Client. ctx is done when the plugin
// process exits.
func (p *ExecutorPlugin) GRPCClient(ctx context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return executor.NewClient(ctx, c), nil
}

// ExecutorSets are the versioned plugin sets of an executor host, keyed by
// protocol version: the host negotiates the highest one both sides speak.
func ExecutorSets() map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{executor.ProtocolVersion: {executor.PluginName: &ExecutorPlugin{}}}
}

// StoragePlugin is go-plugin's glue for storage plugins: a host dispenses a
// *storage.Client from it.
type StoragePlugin struct {
	goplugin.NetRPCUnsupportedPlugin
}

var _ goplugin.GRPCPlugin = (*StoragePlugin)(nil)

// GRPCServer is not used: storage plugins serve with storage.Serve.
func (p *StoragePlugin) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error {
	return errors.New("storage plugin: serve with storage.Serve")
}

// GRPCClient returns a *storage.Client. ctx is done when the plugin process
// exits.
func (p *StoragePlugin) GRPCClient(ctx context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return storage.NewClient(ctx, c), nil
}

// StorageSets are the versioned plugin sets of a storage host.
func StorageSets() map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{storage.ProtocolVersion: {storage.PluginName: &StoragePlugin{}}}
}
