package app

import (
	"github.com/hashicorp/go-hclog"

	"github.com/signalbox/signalbox/core/config"
	"github.com/signalbox/signalbox/core/scheduler"
	"github.com/signalbox/signalbox/core/service"
	"github.com/signalbox/signalbox/core/store"
)

// newScheduler builds the scheduler of a configuration and tells the
// services to notify it of changed schedules.
func newScheduler(cfg config.Config, st store.Store, svc *service.Services, log hclog.Logger) (*scheduler.Scheduler, error) {
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	s := scheduler.New(scheduler.Config{Location: loc}, scheduler.Deps{Schedules: st.Schedules(), Starter: svc, Log: log})
	svc.SetScheduleNotifier(s)
	return s, nil
}
