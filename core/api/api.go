// Package api is Signalbox's HTTP API: Semaphore-compatible REST routes
// under /api and the WebSocket of live task events. Handlers only bind,
// call a service and render; errors map to status codes in one place.
package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"

	"github.com/signalbox/signalbox/core/live"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/service"
)

// CookieName is the session cookie's name.
const CookieName = "signalbox"

// Config configures the API.
type Config struct {
	Services *service.Services
	Hub      *live.Hub
	Log      hclog.Logger
	Version  string
	// CookieSecure marks the session cookie Secure.
	CookieSecure bool
	// Health reports whether the server's dependencies answer.
	Health func(ctx context.Context) error
	// UI serves the web UI for paths outside /api; nil serves nothing.
	UI http.Handler
}

// API holds the handlers' dependencies.
type API struct {
	cfg Config
	svc *service.Services
	log hclog.Logger
}

// New returns the HTTP handler of the whole API.
func New(cfg Config) http.Handler {
	if cfg.Log == nil {
		cfg.Log = hclog.NewNullLogger()
	}
	gin.SetMode(gin.ReleaseMode)
	a := &API{cfg: cfg, svc: cfg.Services, log: cfg.Log.Named("api")}
	e := gin.New()
	e.ContextWithFallback = true
	e.Use(a.recovery, a.accessLog)
	a.routes(e)
	e.NoRoute(func(c *gin.Context) {
		if cfg.UI != nil && c.Request.Method == http.MethodGet && !isAPI(c.Request.URL.Path) {
			cfg.UI.ServeHTTP(c.Writer, c.Request)
			return
		}
		c.JSON(http.StatusNotFound, gin.H{"error": "no such route: " + c.Request.Method + " " + c.Request.URL.Path})
	})
	e.NoMethod(func(c *gin.Context) {
		c.JSON(http.StatusMethodNotAllowed, gin.H{"error": "method not allowed"})
	})
	e.HandleMethodNotAllowed = true
	return e
}

func isAPI(path string) bool { return len(path) >= 4 && path[:4] == "/api" }

// handler is the shape of every JSON handler: it returns the status and
// body to render, or an error.
type handler func(c *gin.Context) (int, any, error)

// h adapts a handler to gin, rendering its result or its error.
func (a *API) h(fn handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		status, body, err := fn(c)
		if err != nil {
			a.renderError(c, err)
			return
		}
		if body == nil {
			c.Status(status)
			return
		}
		c.JSON(status, body)
	}
}

// statusOf maps an error's class to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, model.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, model.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, model.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, model.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, model.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, model.ErrUnprocessable):
		return http.StatusUnprocessableEntity
	case errors.Is(err, model.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return 499
	}
	return http.StatusInternalServerError
}

func (a *API) renderError(c *gin.Context, err error) {
	status := statusOf(err)
	msg := err.Error()
	if status >= 500 {
		id := strconv.FormatInt(time.Now().UnixNano(), 36)
		a.log.Error("request failed", "error_id", id, "method", c.Request.Method, "path", c.Request.URL.Path, "error", err)
		msg = "internal error (id " + id + "); see the server log"
		if status == http.StatusServiceUnavailable {
			msg = err.Error()
		}
	}
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}

func (a *API) recovery(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("handler panicked", "path", c.Request.URL.Path, "panic", p)
			c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "internal error"})
		}
	}()
	c.Next()
}

func (a *API) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	a.log.Debug("request", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration", time.Since(start).String())
}

// bind decodes a JSON body; unknown fields are ignored, as Semaphore does.
func bind(c *gin.Context, v any) error {
	if err := c.ShouldBindJSON(v); err != nil {
		return model.Invalidf("invalid JSON body: %v", err)
	}
	return nil
}

// idParam reads a positive integer path parameter.
func idParam(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, model.Invalidf("%s must be a positive integer, got %q", name, c.Param(name))
	}
	return id, nil
}

// checkBodyID refuses a body id that disagrees with the path.
func checkBodyID(field string, body, path int64) error {
	if body != 0 && body != path {
		return model.Invalidf("%s %d in the body does not match %d in the path", field, body, path)
	}
	return nil
}
