package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/service"
)

// MaxWebhookBody is the largest webhook body accepted; a larger one is 413.
const MaxWebhookBody = 1 << 20

// integrationDTO has no field for the secret: it is write-only.
type integrationDTO struct {
	ID         int64           `json:"id"`
	Name       string          `json:"name"`
	ProjectID  int64           `json:"project_id"`
	TemplateID int64           `json:"template_id"`
	AuthMethod string          `json:"auth_method"`
	AuthHeader string          `json:"auth_header"`
	Searchable bool            `json:"searchable"`
	TaskParams json.RawMessage `json:"task_params"`
}

func toIntegrationDTO(in model.Integration) integrationDTO {
	return integrationDTO{ID: in.ID, Name: in.Name, ProjectID: in.ProjectID, TemplateID: in.TemplateID,
		AuthMethod: string(in.AuthMethod), AuthHeader: in.AuthHeader, Searchable: in.Searchable,
		TaskParams: rawOr(in.TaskParams, "{}")}
}

// integrationIn is the body of a create or update. auth_secret (with
// auth_login for basic) replaces the secret; without it, an update keeps
// the stored one.
type integrationIn struct {
	ID         int64           `json:"id"`
	Name       string          `json:"name"`
	ProjectID  int64           `json:"project_id"`
	TemplateID int64           `json:"template_id"`
	AuthMethod string          `json:"auth_method"`
	AuthHeader string          `json:"auth_header"`
	AuthSecret string          `json:"auth_secret"`
	AuthLogin  string          `json:"auth_login"`
	Searchable bool            `json:"searchable"`
	TaskParams json.RawMessage `json:"task_params"`
}

func (in integrationIn) toModel(projectID, id int64) (model.Integration, *model.IntegrationSecret, error) {
	if err := checkIDs(in.ProjectID, projectID, in.ID, id); err != nil {
		return model.Integration{}, nil, err
	}
	i := model.Integration{ID: id, ProjectID: projectID, Name: in.Name, TemplateID: in.TemplateID,
		AuthMethod: model.IntegrationAuthMethod(in.AuthMethod), AuthHeader: in.AuthHeader, Searchable: in.Searchable}
	if p := strings.TrimSpace(string(in.TaskParams)); p != "" && p != "null" {
		i.TaskParams = p
	}
	var sec *model.IntegrationSecret
	if in.AuthSecret != "" {
		sec = &model.IntegrationSecret{Login: in.AuthLogin, Secret: in.AuthSecret}
	}
	return i, sec, nil
}

type integrationMatcherDTO struct {
	ID            int64  `json:"id"`
	IntegrationID int64  `json:"integration_id"`
	Name          string `json:"name"`
	MatchType     string `json:"match_type"`
	Method        string `json:"method"`
	BodyDataType  string `json:"body_data_type"`
	Key           string `json:"key"`
	Value         string `json:"value"`
}

func toIntegrationMatcherDTO(m model.IntegrationMatcher) integrationMatcherDTO {
	return integrationMatcherDTO{ID: m.ID, IntegrationID: m.IntegrationID, Name: m.Name, MatchType: string(m.MatchType),
		Method: string(m.Method), BodyDataType: string(m.BodyDataType), Key: m.Key, Value: m.Value}
}

type integrationMatcherIn integrationMatcherDTO

func (in integrationMatcherIn) toModel(integrationID, id int64) (model.IntegrationMatcher, error) {
	if err := checkPartIDs(in.IntegrationID, integrationID, in.ID, id); err != nil {
		return model.IntegrationMatcher{}, err
	}
	return model.IntegrationMatcher{ID: id, IntegrationID: integrationID, Name: in.Name,
		MatchType: model.IntegrationMatchType(in.MatchType), Method: model.IntegrationMatchMethod(in.Method),
		BodyDataType: model.IntegrationBodyDataType(in.BodyDataType), Key: in.Key, Value: in.Value}, nil
}

// checkPartIDs refuses ids in the body of a matcher or an extract value
// that disagree with the path.
func checkPartIDs(bodyIntegration, pathIntegration, bodyID, pathID int64) error {
	if err := checkBodyID("integration_id", bodyIntegration, pathIntegration); err != nil {
		return err
	}
	if pathID != 0 {
		return checkBodyID("id", bodyID, pathID)
	}
	return nil
}

type integrationValueDTO struct {
	ID            int64  `json:"id"`
	IntegrationID int64  `json:"integration_id"`
	Name          string `json:"name"`
	ValueSource   string `json:"value_source"`
	BodyDataType  string `json:"body_data_type"`
	Key           string `json:"key"`
	Variable      string `json:"variable"`
	VariableType  string `json:"variable_type"`
}

func toIntegrationValueDTO(v model.IntegrationExtractValue) integrationValueDTO {
	return integrationValueDTO{ID: v.ID, IntegrationID: v.IntegrationID, Name: v.Name, ValueSource: string(v.ValueSource),
		BodyDataType: string(v.BodyDataType), Key: v.Key, Variable: v.Variable, VariableType: string(v.VariableType)}
}

type integrationValueIn integrationValueDTO

func (in integrationValueIn) toModel(integrationID, id int64) (model.IntegrationExtractValue, error) {
	if err := checkPartIDs(in.IntegrationID, integrationID, in.ID, id); err != nil {
		return model.IntegrationExtractValue{}, err
	}
	return model.IntegrationExtractValue{ID: id, IntegrationID: integrationID, Name: in.Name,
		ValueSource: model.IntegrationMatchType(in.ValueSource), BodyDataType: model.IntegrationBodyDataType(in.BodyDataType),
		Key: in.Key, Variable: in.Variable, VariableType: model.IntegrationVariableType(in.VariableType)}, nil
}

type integrationAliasDTO struct {
	ID        int64 `json:"id"`
	ProjectID int64 `json:"project_id"`
	// IntegrationID is null for a project alias.
	IntegrationID *int64 `json:"integration_id"`
	Alias         string `json:"alias"`
	// URL is the path webhooks are posted to.
	URL string `json:"url"`
}

func toIntegrationAliasDTO(a model.IntegrationAlias) integrationAliasDTO {
	d := integrationAliasDTO{ID: a.ID, ProjectID: a.ProjectID, Alias: a.Alias, URL: "/api/integrations/" + a.Alias}
	if a.IntegrationID != 0 {
		id := a.IntegrationID
		d.IntegrationID = &id
	}
	return d
}

// integrationRoutes are the CRUD handlers of integrations.
func (a *API) integrationRoutes() crudRoutes {
	save := func(c *gin.Context, pid, id int64) (model.Integration, error) {
		var body integrationIn
		if err := bind(c, &body); err != nil {
			return model.Integration{}, err
		}
		in, sec, err := body.toModel(pid, id)
		if err != nil {
			return model.Integration{}, err
		}
		return a.svc.SaveIntegration(c.Request.Context(), actor(c), in, sec)
	}
	return crudRoutes{
		list: func(c *gin.Context) (int, any, error) {
			pid, err := idParam(c, "project_id")
			if err != nil {
				return 0, nil, err
			}
			o, err := listOptions(c)
			if err != nil {
				return 0, nil, err
			}
			ins, err := a.svc.ListIntegrations(c.Request.Context(), actor(c), pid, o)
			if err != nil {
				return 0, nil, err
			}
			out := make([]integrationDTO, len(ins))
			for i, in := range ins {
				out[i] = toIntegrationDTO(in)
			}
			return http.StatusOK, out, nil
		},
		create: func(c *gin.Context) (int, any, error) {
			pid, err := idParam(c, "project_id")
			if err != nil {
				return 0, nil, err
			}
			in, err := save(c, pid, 0)
			if err != nil {
				return 0, nil, err
			}
			return http.StatusCreated, toIntegrationDTO(in), nil
		},
		get: func(c *gin.Context) (int, any, error) {
			pid, id, err := projectAndID(c, "integration_id")
			if err != nil {
				return 0, nil, err
			}
			in, err := a.svc.GetIntegration(c.Request.Context(), actor(c), pid, id)
			if err != nil {
				return 0, nil, err
			}
			return http.StatusOK, toIntegrationDTO(in), nil
		},
		update: func(c *gin.Context) (int, any, error) {
			pid, id, err := projectAndID(c, "integration_id")
			if err != nil {
				return 0, nil, err
			}
			_, err = save(c, pid, id)
			return http.StatusNoContent, nil, err
		},
		del: func(c *gin.Context) (int, any, error) {
			pid, id, err := projectAndID(c, "integration_id")
			if err != nil {
				return 0, nil, err
			}
			return http.StatusNoContent, nil, a.svc.DeleteIntegration(c.Request.Context(), actor(c), pid, id)
		},
	}
}

// integrationMatcherRoutes are the CRUD handlers of matchers; a create
// answers 200, as the reference spec has it.
func (a *API) integrationMatcherRoutes(idName string) crudRoutes {
	return integrationPartRoutes(a.svc.IntegrationMatchers(), idName, http.StatusOK, toIntegrationMatcherDTO, integrationMatcherIn.toModel)
}

// integrationValueRoutes are the CRUD handlers of extract values; a create
// answers 201.
func (a *API) integrationValueRoutes(idName string) crudRoutes {
	return integrationPartRoutes(a.svc.IntegrationExtractValues(), idName, http.StatusCreated, toIntegrationValueDTO, integrationValueIn.toModel)
}

// partService is what the service layer offers for one kind of object
// that belongs to an integration.
type partService[T any] interface {
	List(ctx context.Context, a service.Actor, projectID, integrationID int64) ([]T, error)
	Get(ctx context.Context, a service.Actor, projectID, integrationID, id int64) (T, error)
	Save(ctx context.Context, a service.Actor, projectID int64, v T) (T, error)
	Delete(ctx context.Context, a service.Actor, projectID, integrationID, id int64) error
}

// integrationPartRoutes builds the CRUD handlers of the matchers or the
// extract values of an integration.
// created is the status of a create: the reference spec has 200 for a
// matcher and 201 for an extract value.
func integrationPartRoutes[T, In, Out any](svc partService[T], idName string, created int, out func(T) Out, in func(In, int64, int64) (T, error)) crudRoutes {
	ids := func(c *gin.Context, withID bool) (pid, iid, id int64, err error) {
		if pid, iid, err = projectAndID(c, "integration_id"); err != nil || !withID {
			return pid, iid, 0, err
		}
		id, err = idParam(c, idName)
		return pid, iid, id, err
	}
	save := func(c *gin.Context, withID bool) (int, any, error) {
		pid, iid, id, err := ids(c, withID)
		if err != nil {
			return 0, nil, err
		}
		var body In
		if err := bind(c, &body); err != nil {
			return 0, nil, err
		}
		v, err := in(body, iid, id)
		if err != nil {
			return 0, nil, err
		}
		saved, err := svc.Save(c.Request.Context(), actor(c), pid, v)
		if err != nil {
			return 0, nil, err
		}
		if withID {
			return http.StatusNoContent, nil, nil
		}
		return created, out(saved), nil
	}
	return crudRoutes{
		list: func(c *gin.Context) (int, any, error) {
			pid, iid, _, err := ids(c, false)
			if err != nil {
				return 0, nil, err
			}
			vs, err := svc.List(c.Request.Context(), actor(c), pid, iid)
			if err != nil {
				return 0, nil, err
			}
			dtos := make([]Out, len(vs))
			for i, v := range vs {
				dtos[i] = out(v)
			}
			return http.StatusOK, dtos, nil
		},
		create: func(c *gin.Context) (int, any, error) { return save(c, false) },
		get: func(c *gin.Context) (int, any, error) {
			pid, iid, id, err := ids(c, true)
			if err != nil {
				return 0, nil, err
			}
			v, err := svc.Get(c.Request.Context(), actor(c), pid, iid, id)
			if err != nil {
				return 0, nil, err
			}
			return http.StatusOK, out(v), nil
		},
		update: func(c *gin.Context) (int, any, error) { return save(c, true) },
		del: func(c *gin.Context) (int, any, error) {
			pid, iid, id, err := ids(c, true)
			if err != nil {
				return 0, nil, err
			}
			return http.StatusNoContent, nil, svc.Delete(c.Request.Context(), actor(c), pid, iid, id)
		},
	}
}

// aliasScope reads the project and, on the routes of one integration, the
// integration; 0 on the project's alias routes.
func aliasScope(c *gin.Context) (projectID, integrationID int64, err error) {
	if projectID, err = idParam(c, "project_id"); err != nil {
		return 0, 0, err
	}
	if c.Param("integration_id") == "" {
		return projectID, 0, nil
	}
	integrationID, err = idParam(c, "integration_id")
	return projectID, integrationID, err
}

func (a *API) listIntegrationAliases(c *gin.Context) (int, any, error) {
	pid, iid, err := aliasScope(c)
	if err != nil {
		return 0, nil, err
	}
	as, err := a.svc.ListIntegrationAliases(c.Request.Context(), actor(c), pid, iid)
	if err != nil {
		return 0, nil, err
	}
	out := make([]integrationAliasDTO, len(as))
	for i, al := range as {
		out[i] = toIntegrationAliasDTO(al)
	}
	return http.StatusOK, out, nil
}

// createIntegrationAlias creates a random alias; the body, if any, is
// ignored.
func (a *API) createIntegrationAlias(c *gin.Context) (int, any, error) {
	pid, iid, err := aliasScope(c)
	if err != nil {
		return 0, nil, err
	}
	al, err := a.svc.CreateIntegrationAlias(c.Request.Context(), actor(c), pid, iid)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toIntegrationAliasDTO(al), nil
}

func (a *API) deleteIntegrationAlias(c *gin.Context) (int, any, error) {
	pid, iid, err := aliasScope(c)
	if err != nil {
		return 0, nil, err
	}
	id, err := idParam(c, "alias_id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.DeleteIntegrationAlias(c.Request.Context(), actor(c), pid, iid, id)
}

// receiveWebhook is the public endpoint of integrations: the alias in the
// path finds them, and each authenticates the request by its own method.
// It answers 200 {"started": [task ids]}, an empty list when no
// integration matched.
func (a *API) receiveWebhook(c *gin.Context) (int, any, error) {
	// MaxBytesReader stops at the limit and has the server close the
	// connection after the 413.
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxWebhookBody))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return http.StatusRequestEntityTooLarge, gin.H{"error": "the webhook body is larger than 1 MiB"}, nil
		}
		return 0, nil, model.Invalidf("read webhook body: %v", err)
	}
	tasks, err := a.svc.ReceiveWebhook(c.Request.Context(), service.Webhook{
		Alias: c.Param("alias"), Header: c.Request.Header, Body: body,
	})
	if err != nil {
		return 0, nil, err
	}
	ids := make([]int64, len(tasks))
	for i, t := range tasks {
		ids[i] = t.ID
	}
	return http.StatusOK, gin.H{"started": ids}, nil
}
