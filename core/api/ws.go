package api

import (
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/service"
)

// wsBuffer is how many messages a slow client may lag before it is dropped.
const wsBuffer = 8192

// ws streams live task events to a client: output lines and status updates
// of the projects the user is a member of (every project for admins).
func (a *API) ws(c *gin.Context) {
	act := actor(c)
	conn, err := websocket.Accept(c.Writer, c.Request, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx = conn.CloseRead(ctx)

	acl := &projectACL{svc: a.svc, actor: act}
	if err := acl.refresh(ctx); err != nil {
		conn.Close(websocket.StatusInternalError, "could not load your projects")
		return
	}
	sub := a.cfg.Hub.Subscribe(acl.allow, wsBuffer)
	defer a.cfg.Hub.Unsubscribe(sub)
	refresh := time.NewTicker(10 * time.Second)
	defer refresh.Stop()
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-sub.C:
			if !ok {
				conn.Close(websocket.StatusTryAgainLater, "client too slow; reload the task to catch up")
				return
			}
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Write(wctx, websocket.MessageText, msg)
			wcancel()
			if err != nil {
				return
			}
		case <-refresh.C:
			_ = acl.refresh(ctx)
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil {
				return
			}
		}
	}
}

// projectACL caches which projects a WebSocket client may watch.
type projectACL struct {
	svc   *service.Services
	actor service.Actor

	mu       sync.RWMutex
	projects map[int64]bool
}

func (p *projectACL) refresh(ctx context.Context) error {
	if p.actor.User.Admin {
		return nil
	}
	ps, err := p.svc.ListProjects(ctx, p.actor)
	if err != nil {
		return err
	}
	m := make(map[int64]bool, len(ps))
	for _, pr := range ps {
		m[pr.ID] = true
	}
	p.mu.Lock()
	p.projects = m
	p.mu.Unlock()
	return nil
}

func (p *projectACL) allow(projectID int64) bool {
	if p.actor.User.Admin {
		return true
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.projects[projectID]
}
