package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/service"
)

// A project backup is Semaphore's backup document (service.ProjectBackup):
// every reference by name, and no field for a secret.

func (a *API) backupProject(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	b, err := a.svc.BackupProject(c.Request.Context(), actor(c), pid)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, b, nil
}

// restoreProject answers 200 with the new project, as Semaphore's spec has it.
func (a *API) restoreProject(c *gin.Context) (int, any, error) {
	var in service.ProjectBackup
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	p, err := a.svc.RestoreProject(c.Request.Context(), actor(c), in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toProjectDTO(p), nil
}
