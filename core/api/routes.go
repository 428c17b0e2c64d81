package api

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/service"
)

const actorKey = "signalbox.actor"

// routes is the single route table of the API.
func (a *API) routes(e *gin.Engine) {
	pub := e.Group("/api")
	pub.GET("/ping", a.ping)
	pub.HEAD("/ping", a.ping)
	pub.GET("/auth/login", a.h(a.loginMetadata))
	pub.POST("/auth/login", a.h(a.login))
	pub.POST("/auth/logout", a.h(a.logout))
	// Webhooks authenticate by their integration's own method, not a login.
	pub.POST("/integrations/:alias", a.h(a.receiveWebhook))

	api := e.Group("/api", a.authenticate)
	api.GET("/ws", a.ws)
	api.GET("/info", a.h(a.info))
	api.GET("/apps", a.h(a.apps))
	api.GET("/user", a.h(a.currentUser))
	api.GET("/user/", a.h(a.currentUser))
	api.GET("/user/options", a.h(a.userOptions))
	api.POST("/user/options", a.h(a.setUserOptions))
	api.GET("/user/tokens", a.h(a.listTokens))
	api.POST("/user/tokens", a.h(a.createToken))
	api.DELETE("/user/tokens/:token_id", a.h(a.expireToken))
	api.GET("/users", a.h(a.listUsers))
	api.POST("/users", a.h(a.createUser))
	api.GET("/users/:user_id", a.h(a.getUser))
	api.GET("/users/:user_id/", a.h(a.getUser))
	api.PUT("/users/:user_id", a.h(a.updateUser))
	api.PUT("/users/:user_id/", a.h(a.updateUser))
	api.POST("/users/:user_id/password", a.h(a.setPassword))
	api.DELETE("/users/:user_id", a.h(a.deleteUser))
	api.DELETE("/users/:user_id/", a.h(a.deleteUser))

	api.GET("/events", a.h(a.listEvents))
	api.GET("/events/last", a.h(a.lastEvents))
	api.GET("/projects", a.h(a.listProjects))
	api.POST("/projects", a.h(a.createProject))
	api.POST("/projects/restore", a.h(a.restoreProject))

	p := api.Group("/project/:project_id")
	for _, path := range []string{"", "/"} {
		p.GET(path, a.h(a.getProject))
		p.PUT(path, a.h(a.updateProject))
		p.DELETE(path, a.h(a.deleteProject))
	}
	p.GET("/role", a.h(a.projectRole))
	p.GET("/backup", a.h(a.backupProject))
	p.GET("/users", a.h(a.listMembers))
	p.POST("/users", a.h(a.addMember))
	p.PUT("/users/:user_id", a.h(a.updateMember))
	p.DELETE("/users/:user_id", a.h(a.removeMember))
	p.GET("/events", a.h(a.projectEvents))

	p.GET("/keys", a.h(a.listKeys))
	p.POST("/keys", a.h(a.createKey))
	p.GET("/keys/:key_id", a.h(getInProject("key_id", a.svc.GetKey, toKeyDTO)))
	p.PUT("/keys/:key_id", a.h(a.updateKey))
	p.DELETE("/keys/:key_id", a.h(deleteInProject("key_id", a.svc.DeleteKey)))

	a.crud(p, "/repositories", "repository_id", resourceRoutes(a.svc.Repositories(), "repository_id", toRepositoryDTO, repositoryIn.toModel))
	a.crud(p, "/inventory", "inventory_id", resourceRoutes(a.svc.Inventories(), "inventory_id", toInventoryDTO, inventoryIn.toModel))
	envRoutes := resourceRoutes(a.svc.Environments(), "environment_id", toEnvironmentDTO, environmentIn.toModel)
	envRoutes.get, envRoutes.create, envRoutes.update = a.getEnvironment, a.createEnvironment, a.updateEnvironment
	a.crud(p, "/environment", "environment_id", envRoutes)
	a.crud(p, "/templates", "template_id", resourceRoutes(a.svc.Templates(), "template_id", toTemplateDTO, templateIn.toModel))

	a.crud(p, "/views", "view_id", resourceRoutes(a.svc.Views(), "view_id", toViewDTO, viewIn.toModel))
	p.POST("/templates/:template_id/stop_all_tasks", a.h(a.stopTemplateTasks))

	p.GET("/schedules", a.h(a.listSchedules))
	p.POST("/schedules", a.h(a.createSchedule))
	p.POST("/schedules/validate", a.h(a.validateSchedule))
	p.GET("/schedules/:schedule_id", a.h(getInProject("schedule_id", a.svc.GetSchedule, toScheduleDTO)))
	p.PUT("/schedules/:schedule_id", a.h(a.updateSchedule))
	p.DELETE("/schedules/:schedule_id", a.h(deleteInProject("schedule_id", a.svc.DeleteSchedule)))
	p.GET("/templates/:template_id/schedules", a.h(a.listTemplateSchedules))

	p.GET("/tasks", a.h(a.listTasks))
	p.POST("/tasks", a.h(a.startTask))
	p.GET("/tasks/last", a.h(a.lastTasks))
	p.GET("/tasks/:task_id", a.h(getInProject("task_id", a.svc.GetTask, toTaskDTO)))
	p.DELETE("/tasks/:task_id", a.h(deleteInProject("task_id", a.svc.DeleteTask)))
	p.GET("/tasks/:task_id/output", a.h(a.taskOutput))
	p.GET("/tasks/:task_id/raw_output", a.rawOutput)
	p.POST("/tasks/:task_id/stop", a.h(a.stopTask))
	p.POST("/tasks/:task_id/confirm", a.h(a.confirmTask))
	p.POST("/tasks/:task_id/reject", a.h(a.rejectTask))

	a.crud(p, "/integrations", "integration_id", a.integrationRoutes())
	a.crud(p, "/integrations/:integration_id/matchers", "matcher_id", a.integrationMatcherRoutes("matcher_id"))
	a.crud(p, "/integrations/:integration_id/values", "extractvalue_id", a.integrationValueRoutes("extractvalue_id"))
	for _, path := range []string{"/integrations/aliases", "/integrations/:integration_id/aliases"} {
		p.GET(path, a.h(a.listIntegrationAliases))
		p.POST(path, a.h(a.createIntegrationAlias))
		p.DELETE(path+"/:alias_id", a.h(a.deleteIntegrationAlias))
	}
}

// crudRoutes are the handlers of one project-scoped resource.
type crudRoutes struct {
	list, create, get, update, del handler
}

func (a *API) crud(g *gin.RouterGroup, path, idName string, r crudRoutes) {
	item := path + "/:" + idName
	g.GET(path, a.h(r.list))
	g.POST(path, a.h(r.create))
	g.GET(item, a.h(r.get))
	g.PUT(item, a.h(r.update))
	g.DELETE(item, a.h(r.del))
}

// actor returns the authenticated user of the request.
func actor(c *gin.Context) service.Actor {
	v, _ := c.Get(actorKey)
	a, _ := v.(service.Actor)
	return a
}

// authenticate accepts a session cookie or an "Authorization: Bearer"
// API token; anything else is 401.
func (a *API) authenticate(c *gin.Context) {
	ctx := c.Request.Context()
	if h := c.GetHeader("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			token, ok = strings.CutPrefix(h, "bearer ")
		}
		if !ok || strings.TrimSpace(token) == "" {
			a.renderError(c, errUnauthenticated("Authorization must be \"Bearer <token>\""))
			return
		}
		act, err := a.svc.AuthenticateToken(ctx, strings.TrimSpace(token))
		if err != nil {
			a.renderError(c, err)
			return
		}
		c.Set(actorKey, act)
		c.Next()
		return
	}
	cookie, err := c.Cookie(CookieName)
	if err != nil || cookie == "" {
		a.renderError(c, errUnauthenticated("not logged in"))
		return
	}
	act, err := a.svc.AuthenticateSession(ctx, cookie)
	if err != nil {
		a.renderError(c, err)
		return
	}
	c.Set(actorKey, act)
	c.Next()
}
