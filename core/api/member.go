package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/service"
)

type memberDTO struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
	Email    string `json:"email"`
	Role     string `json:"role"`
}

func (a *API) listMembers(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	o, err := listOptions(c)
	if err != nil {
		return 0, nil, err
	}
	ms, err := a.svc.ListMembers(c.Request.Context(), actor(c), pid, o.SortBy, o.Order == "desc")
	if err != nil {
		return 0, nil, err
	}
	out := make([]memberDTO, len(ms))
	for i, m := range ms {
		out[i] = memberDTO{ID: m.User.ID, Name: m.User.Name, Username: m.User.Username, Email: m.User.Email, Role: string(m.Role)}
	}
	return http.StatusOK, out, nil
}

type memberIn struct {
	UserID int64  `json:"user_id"`
	Role   string `json:"role"`
}

func (a *API) addMember(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	var in memberIn
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	if in.UserID <= 0 {
		return 0, nil, model.Invalidf("user_id is required")
	}
	return http.StatusNoContent, nil, a.svc.AddMember(c.Request.Context(), actor(c), pid, in.UserID, model.Role(in.Role))
}

func (a *API) updateMember(c *gin.Context) (int, any, error) {
	pid, uid, err := projectAndID(c, "user_id")
	if err != nil {
		return 0, nil, err
	}
	var in memberIn
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	if err := checkBodyID("user_id", in.UserID, uid); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.UpdateMember(c.Request.Context(), actor(c), pid, uid, model.Role(in.Role))
}

func (a *API) removeMember(c *gin.Context) (int, any, error) {
	pid, uid, err := projectAndID(c, "user_id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.RemoveMember(c.Request.Context(), actor(c), pid, uid)
}

func (a *API) getUser(c *gin.Context) (int, any, error) {
	id, err := idParam(c, "user_id")
	if err != nil {
		return 0, nil, err
	}
	u, err := a.svc.GetUser(c.Request.Context(), actor(c), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUserDTO(u), nil
}

func (a *API) updateUser(c *gin.Context) (int, any, error) {
	id, err := idParam(c, "user_id")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
		Email    string `json:"email"`
		Admin    bool   `json:"admin"`
		Alert    bool   `json:"alert"`
	}
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	if err := checkBodyID("id", in.ID, id); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.UpdateUser(c.Request.Context(), actor(c), id,
		service.UserChange{Username: in.Username, Name: in.Name, Email: in.Email, Admin: in.Admin, Alert: in.Alert})
}

func (a *API) userOptions(c *gin.Context) (int, any, error) {
	opts, err := a.svc.UserOptions(c.Request.Context(), actor(c))
	return http.StatusOK, opts, err
}

func (a *API) setUserOptions(c *gin.Context) (int, any, error) {
	var in map[string]json.RawMessage
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.SetUserOptions(c.Request.Context(), actor(c), in)
}
