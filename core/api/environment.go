package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/service"
)

// The environment routes carry secrets: written with create, update or
// delete operations, listed by name, never returned.

func (a *API) environmentWithSecrets(c *gin.Context, e model.Environment) (environmentDTO, error) {
	d := toEnvironmentDTO(e)
	secs, err := a.svc.EnvironmentSecrets(c.Request.Context(), actor(c), e.ProjectID, e.ID)
	if err != nil {
		return d, err
	}
	for _, s := range secs {
		d.Secrets = append(d.Secrets, envSecretDTO{ID: s.ID, Name: s.Name, Type: string(s.Type)})
	}
	return d, nil
}

func (a *API) getEnvironment(c *gin.Context) (int, any, error) {
	pid, id, err := projectAndID(c, "environment_id")
	if err != nil {
		return 0, nil, err
	}
	e, err := a.svc.Environments().Get(c.Request.Context(), actor(c), pid, id)
	if err != nil {
		return 0, nil, err
	}
	d, err := a.environmentWithSecrets(c, e)
	return http.StatusOK, d, err
}

func (a *API) saveEnvironment(c *gin.Context, pid, id int64) (model.Environment, error) {
	var in environmentIn
	if err := bind(c, &in); err != nil {
		return model.Environment{}, err
	}
	e, err := in.toModel(pid, id)
	if err != nil {
		return model.Environment{}, err
	}
	changes := make([]service.SecretChange, len(in.Secrets))
	for i, s := range in.Secrets {
		changes[i] = service.SecretChange{ID: s.ID, Name: s.Name, Type: model.SecretType(s.Type), Secret: s.Secret, Operation: s.Operation}
	}
	return a.svc.SaveEnvironment(c.Request.Context(), actor(c), e, changes)
}

func (a *API) createEnvironment(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	e, err := a.saveEnvironment(c, pid, 0)
	if err != nil {
		return 0, nil, err
	}
	d, err := a.environmentWithSecrets(c, e)
	return http.StatusCreated, d, err
}

func (a *API) updateEnvironment(c *gin.Context) (int, any, error) {
	pid, id, err := projectAndID(c, "environment_id")
	if err != nil {
		return 0, nil, err
	}
	_, err = a.saveEnvironment(c, pid, id)
	return http.StatusNoContent, nil, err
}
