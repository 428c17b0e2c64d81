package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/model"
)

type eventDTO struct {
	ID          int64     `json:"id"`
	ProjectID   *int64    `json:"project_id,omitempty"`
	UserID      *int64    `json:"user_id,omitempty"`
	ObjectID    *int64    `json:"object_id,omitempty"`
	ObjectType  string    `json:"object_type"`
	Description string    `json:"description"`
	Created     time.Time `json:"created"`
}

func toEventDTO(e model.Event) eventDTO {
	return eventDTO{ID: e.ID, ProjectID: e.ProjectID, UserID: e.UserID, ObjectID: e.ObjectID,
		ObjectType: e.ObjectType, Description: e.Description, Created: e.Created}
}

func (a *API) renderEvents(c *gin.Context, projectID int64, limit int) (int, any, error) {
	if n, err := intQuery(c, "limit"); err != nil {
		return 0, nil, err
	} else if n > 0 {
		limit = n
	}
	es, err := a.svc.ListEvents(c.Request.Context(), actor(c), projectID, limit)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, mapAll(es, toEventDTO), nil
}

func (a *API) listEvents(c *gin.Context) (int, any, error) { return a.renderEvents(c, 0, 1000) }

func (a *API) lastEvents(c *gin.Context) (int, any, error) { return a.renderEvents(c, 0, 200) }

func (a *API) projectEvents(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	return a.renderEvents(c, pid, 1000)
}
