package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestAPI_BadInputNeverFails500 sends malformed and hostile bodies to every
// route that takes one, as an admin in a project that exists, and checks
// that each gets a clear 4xx JSON error (or succeeds), never a 5xx.
func TestAPI_BadInputNeverFails500(t *testing.T) {
	e := newEnv(t)
	admin := e.as("admin", "admin-password")
	var p, repo, tmpl obj
	admin.do("POST", "/api/projects", `{"name":"bad input"}`, 201, &p)
	admin.do("POST", fmt.Sprintf("/api/project/%d/repositories", p.ID), fmt.Sprintf(`{"name":"r","git_url":%q}`, t.TempDir()), 201, &repo)
	admin.do("POST", fmt.Sprintf("/api/project/%d/templates", p.ID),
		fmt.Sprintf(`{"name":"t","app":"bash","playbook":"a.sh","repository_id":%d}`, repo.ID), 201, &tmpl)

	bodies := []string{
		`{`, `[]`, `null`, `"text"`, `12`, `{"name":12}`, `{"id":"x","project_id":[1]}`,
		`{"name":"` + strings.Repeat("n", 70000) + `"}`, `{"name":"\u0000\ud800"}`,
		`{"template_id":-5,"environment":"{","params":[1],"arguments":"{"}`,
		`{"type":"nope","inventory":{},"json":5,"env":"[","secrets":[{"operation":"delete"}]}`,
		`{"survey_vars":"x","vaults":{"a":1},"task_params":"y","build_template_id":-1}`,
		`{"cron_format":"* * *","run_at":"yesterday","template_id":99999}`,
		`{"user_id":"me","role":7}`, `{"password":""}`, `{"meta":null,"templates":[{}]}`,
	}
	eng := anyHandler.Load().(*gin.Engine)
	for _, ri := range eng.Routes() {
		if ri.Method != "POST" && ri.Method != "PUT" {
			continue
		}
		path := ri.Path
		for _, param := range []string{":project_id", ":template_id", ":task_id", ":key_id", ":repository_id",
			":inventory_id", ":environment_id", ":view_id", ":schedule_id", ":integration_id", ":matcher_id",
			":extractvalue_id", ":user_id", ":alias"} {
			id := "1"
			switch param {
			case ":project_id":
				id = fmt.Sprint(p.ID)
			case ":template_id":
				id = fmt.Sprint(tmpl.ID)
			}
			path = strings.ReplaceAll(path, param, id)
		}
		for i, body := range bodies {
			t.Run(fmt.Sprintf("%s %s body %d", ri.Method, ri.Path, i), func(t *testing.T) {
				status, b := admin.doRaw(ri.Method, path, body, nil)
				if status >= 500 {
					t.Errorf("%s %s with %.60q: status %d: %s", ri.Method, path, body, status, b)
				}
				if status >= 400 && !strings.Contains(string(b), `"error"`) {
					t.Errorf("%s %s: status %d without a JSON error: %s", ri.Method, path, status, b)
				}
			})
		}
	}
}
