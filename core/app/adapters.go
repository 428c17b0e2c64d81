package app

import (
	"context"
	"net/http"

	"github.com/signalbox/signalbox/core/pluginhost"
	"github.com/signalbox/signalbox/core/runner"
	"github.com/signalbox/signalbox/core/service"
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

// uiHandler serves the web UI; until the UI lands, a short page that points
// to the API.
func uiHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html><head><meta charset="utf-8"><title>Signalbox</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Signalbox</h1><p>The server is running. The REST API is at <code>/api</code>
(try <a href="/api/ping">/api/ping</a>); see docs/api.md in the repository.</p></body></html>`))
	})
}
