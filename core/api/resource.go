package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/service"
)

// resourceService is what the service layer offers for one kind of
// project-scoped object.
type resourceService[T any] interface {
	List(ctx context.Context, a service.Actor, projectID int64, o service.ListOptions) ([]T, error)
	Get(ctx context.Context, a service.Actor, projectID, id int64) (T, error)
	Save(ctx context.Context, a service.Actor, v T) (T, error)
	Delete(ctx context.Context, a service.Actor, projectID, id int64) error
}

// inDTO is a request body that converts to the model, given the ids from
// the path (id 0 on create). It refuses ids that disagree with the path.
type inDTO[T any] interface {
	toModel(projectID, id int64) (T, error)
}

// resourceRoutes builds the five CRUD handlers of one resource from its
// service and its two converters.
func resourceRoutes[T any, In any, Out any](svc resourceService[T], idName string, out func(T) Out, in func(In, int64, int64) (T, error)) crudRoutes {
	ids := func(c *gin.Context, withID bool) (int64, int64, error) {
		pid, err := idParam(c, "project_id")
		if err != nil || !withID {
			return pid, 0, err
		}
		id, err := idParam(c, idName)
		return pid, id, err
	}
	save := func(c *gin.Context, withID bool) (int, any, error) {
		pid, id, err := ids(c, withID)
		if err != nil {
			return 0, nil, err
		}
		var body In
		if err := bind(c, &body); err != nil {
			return 0, nil, err
		}
		v, err := in(body, pid, id)
		if err != nil {
			return 0, nil, err
		}
		saved, err := svc.Save(c.Request.Context(), actor(c), v)
		if err != nil {
			return 0, nil, err
		}
		if withID {
			return http.StatusNoContent, nil, nil
		}
		return http.StatusCreated, out(saved), nil
	}
	return crudRoutes{
		list: func(c *gin.Context) (int, any, error) {
			pid, _, err := ids(c, false)
			if err != nil {
				return 0, nil, err
			}
			o, err := listOptions(c)
			if err != nil {
				return 0, nil, err
			}
			vs, err := svc.List(c.Request.Context(), actor(c), pid, o)
			if err != nil {
				return 0, nil, err
			}
			return http.StatusOK, mapAll(vs, out), nil
		},
		create: func(c *gin.Context) (int, any, error) { return save(c, false) },
		get:    getInProject(idName, svc.Get, out),
		update: func(c *gin.Context) (int, any, error) { return save(c, true) },
		del:    deleteInProject(idName, svc.Delete),
	}
}

// listOptions reads ?sort=&order=&limit=&offset=.
func listOptions(c *gin.Context) (service.ListOptions, error) {
	o := service.ListOptions{SortBy: c.Query("sort")}
	switch c.Query("order") {
	case "", "asc":
		o.Order = "asc"
	case "desc":
		o.Order = "desc"
	default:
		return o, model.Invalidf("order must be asc or desc")
	}
	var err error
	if o.Limit, err = intQuery(c, "limit"); err != nil {
		return o, err
	}
	if o.Offset, err = intQuery(c, "offset"); err != nil {
		return o, err
	}
	return o, nil
}

func intQuery(c *gin.Context, name string) (int, error) {
	s := c.Query(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, model.Invalidf("%s must be a non-negative integer, got %q", name, s)
	}
	return n, nil
}
