package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/service"
)

// scheduleDTO is Semaphore's schedule, with the newer type and run_at.
type scheduleDTO struct {
	ID         int64      `json:"id"`
	ProjectID  int64      `json:"project_id"`
	TemplateID int64      `json:"template_id"`
	CronFormat string     `json:"cron_format"`
	Name       string     `json:"name"`
	Active     bool       `json:"active"`
	Type       string     `json:"type"`
	RunAt      *time.Time `json:"run_at"`
}

func toScheduleDTO(s model.Schedule) scheduleDTO {
	return scheduleDTO{ID: s.ID, ProjectID: s.ProjectID, TemplateID: s.TemplateID, CronFormat: s.CronFormat,
		Name: s.Name, Active: s.Active, Type: string(s.Type), RunAt: s.RunAt}
}

// scheduleIn is the body of a schedule's create or update. An omitted
// active means true on create and unchanged on update.
type scheduleIn struct {
	ID         int64        `json:"id"`
	ProjectID  int64        `json:"project_id"`
	TemplateID int64        `json:"template_id"`
	CronFormat string       `json:"cron_format"`
	Name       string       `json:"name"`
	Active     *bool        `json:"active"`
	Type       string       `json:"type"`
	RunAt      optionalTime `json:"run_at"`
}

func (in scheduleIn) toInput(projectID, id int64) (service.ScheduleInput, error) {
	if err := checkIDs(in.ProjectID, projectID, in.ID, id); err != nil {
		return service.ScheduleInput{}, err
	}
	return service.ScheduleInput{ID: id, ProjectID: projectID, TemplateID: in.TemplateID, Name: in.Name,
		Type: model.ScheduleType(in.Type), CronFormat: in.CronFormat, RunAt: in.RunAt.t, Active: in.Active}, nil
}

// optionalTime is an RFC 3339 time that may be null, empty or absent.
type optionalTime struct{ t *time.Time }

func (o *optionalTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		o.t = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("run_at must be an RFC 3339 time string")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("run_at %q is not an RFC 3339 time", s)
	}
	o.t = &t
	return nil
}

func (a *API) listSchedules(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	return a.renderSchedules(c, pid, 0)
}

func (a *API) listTemplateSchedules(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	tid, err := idParam(c, "template_id")
	if err != nil {
		return 0, nil, err
	}
	return a.renderSchedules(c, pid, tid)
}

func (a *API) renderSchedules(c *gin.Context, projectID, templateID int64) (int, any, error) {
	ss, err := a.svc.ListSchedules(c.Request.Context(), actor(c), projectID, templateID)
	if err != nil {
		return 0, nil, err
	}
	out := make([]scheduleDTO, len(ss))
	for i, s := range ss {
		out[i] = toScheduleDTO(s)
	}
	return http.StatusOK, out, nil
}

func (a *API) createSchedule(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	s, err := a.saveSchedule(c, pid, 0)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toScheduleDTO(s), nil
}

func (a *API) updateSchedule(c *gin.Context) (int, any, error) {
	pid, id, err := projectAndID(c, "schedule_id")
	if err != nil {
		return 0, nil, err
	}
	_, err = a.saveSchedule(c, pid, id)
	return http.StatusNoContent, nil, err
}

func (a *API) saveSchedule(c *gin.Context, projectID, id int64) (model.Schedule, error) {
	var body scheduleIn
	if err := bind(c, &body); err != nil {
		return model.Schedule{}, err
	}
	in, err := body.toInput(projectID, id)
	if err != nil {
		return model.Schedule{}, err
	}
	return a.svc.SaveSchedule(c.Request.Context(), actor(c), in)
}

// validateSchedule checks a body's cron_format: 204 when it is valid.
func (a *API) validateSchedule(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		CronFormat string `json:"cron_format"`
	}
	if err := bind(c, &body); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.CheckCronFormat(c.Request.Context(), actor(c), pid, body.CronFormat)
}
