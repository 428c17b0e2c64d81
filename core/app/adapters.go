package app

import (
	"context"
	"net/http"

	"github.com/signalbox/signalbox/core/pluginhost"
	"github.com/signalbox/signalbox/core/runner"
	"github.com/signalbox/signalbox/core/service"
	"github.com/signalbox/signalbox/web"
)

// executors adapts the plugin host to the runner's narrow interface.
type executors struct{ h *pluginhost.Host }

func (e executors) Executor(ctx context.Context, app string) (runner.Executor, error) {
	c, err := e.h.Executor(ctx, app)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// apps adapts the plugin host to the services' narrow interface.
type apps struct{ h *pluginhost.Host }

func (a apps) Apps(ctx context.Context) map[string]service.App {
	in := a.h.Apps(ctx)
	out := make(map[string]service.App, len(in))
	for id, info := range in {
		out[id] = service.App{App: info.App, Plugin: info.Plugin, PluginVersion: info.PluginVersion}
	}
	return out
}

// uiHandler serves the embedded web UI (web/dist): its files, and
// index.html for the client-side routes.
func uiHandler() http.Handler {
	return web.Handler(web.FS())
}
