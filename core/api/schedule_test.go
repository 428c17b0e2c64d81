package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/service"
)

type scheduleOut struct {
	ID         int64   `json:"id"`
	ProjectID  int64   `json:"project_id"`
	TemplateID int64   `json:"template_id"`
	CronFormat string  `json:"cron_format"`
	Name       string  `json:"name"`
	Active     bool    `json:"active"`
	Type       string  `json:"type"`
	RunAt      *string `json:"run_at"`
}

// schedulePath creates a schedule of the walk's template and returns its
// path, for the permission walk.
func schedulePath(f *permFixture) string {
	var s obj
	f.admin.do("POST", f.pp()+"/schedules", scheduleBody(f, ""), 201, &s)
	return fmt.Sprintf("%s/schedules/%d", f.pp(), s.ID)
}

// scheduleBody is a valid schedule of the walk's template.
func scheduleBody(f *permFixture, _ string) string {
	return fmt.Sprintf(`{"template_id":%d,"name":"nightly","cron_format":"0 3 * * *"}`, f.tmpl)
}

func TestAPI_Schedules(t *testing.T) {
	e := newEnv(t)
	admin := e.as("admin", "admin-password")
	bob := e.as("bob", "bob-password")

	var p, q, repo, tmpl, qRepo, qTmpl obj
	admin.do("POST", "/api/projects", `{"name":"timed"}`, 201, &p)
	admin.do("POST", "/api/projects", `{"name":"other"}`, 201, &q)
	pp, qp := fmt.Sprintf("/api/project/%d", p.ID), fmt.Sprintf("/api/project/%d", q.ID)
	for _, x := range []struct {
		path string
		repo *obj
		tmpl *obj
	}{{pp, &repo, &tmpl}, {qp, &qRepo, &qTmpl}} {
		admin.do("POST", x.path+"/repositories", fmt.Sprintf(`{"name":"r","git_url":%q}`, t.TempDir()), 201, x.repo)
		admin.do("POST", x.path+"/templates", fmt.Sprintf(`{"name":"t","app":"bash","playbook":"run.sh","repository_id":%d}`, x.repo.ID), 201, x.tmpl)
	}
	future := time.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)

	var sch scheduleOut
	t.Run("create, read, change, list and delete", func(t *testing.T) {
		admin.do("POST", pp+"/schedules", fmt.Sprintf(`{"template_id":%d,"name":"nightly","cron_format":"0 3 * * *","active":true}`, tmpl.ID), 201, &sch)
		want := scheduleOut{ID: sch.ID, ProjectID: p.ID, TemplateID: tmpl.ID, CronFormat: "0 3 * * *", Name: "nightly", Active: true}
		if sch.ID == 0 || sch != want {
			t.Fatalf("created %+v, want %+v", sch, want)
		}
		item := fmt.Sprintf("%s/schedules/%d", pp, sch.ID)
		var got scheduleOut
		admin.do("GET", item, "", 200, &got)
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}

		// An update without active keeps it; with it, sets it.
		admin.do("PUT", item, fmt.Sprintf(`{"id":%d,"project_id":%d,"template_id":%d,"name":"hourly","cron_format":"@hourly"}`, sch.ID, p.ID, tmpl.ID), 204, nil)
		admin.do("GET", item, "", 200, &got)
		if got.Name != "hourly" || got.CronFormat != "@hourly" || !got.Active {
			t.Errorf("after update: %+v", got)
		}
		admin.do("PUT", item, fmt.Sprintf(`{"template_id":%d,"cron_format":"@hourly","active":false}`, tmpl.ID), 204, nil)
		admin.do("GET", item, "", 200, &got)
		if got.Active {
			t.Errorf("after deactivating: %+v", got)
		}

		var once scheduleOut
		admin.do("POST", pp+"/schedules", fmt.Sprintf(`{"template_id":%d,"name":"launch","type":"run_at","run_at":%q}`, tmpl.ID, future), 201, &once)
		if once.Type != "run_at" || once.RunAt == nil || !once.Active {
			t.Fatalf("run_at schedule = %+v", once)
		}
		if at, err := time.Parse(time.RFC3339, *once.RunAt); err != nil || at.Format(time.RFC3339) != future {
			t.Errorf("run_at = %q, want %s", *once.RunAt, future)
		}
		var secs scheduleOut
		admin.do("POST", pp+"/schedules", fmt.Sprintf(`{"template_id":%d,"cron_format":"*/5 * * * * *","type":"cron"}`, tmpl.ID), 201, &secs)
		if secs.Type != "" {
			t.Errorf("type cron is stored as %q, want \"\"", secs.Type)
		}

		var list []scheduleOut
		admin.do("GET", pp+"/schedules", "", 200, &list)
		if len(list) != 3 || list[0].ID != sch.ID || list[1].ID != once.ID {
			t.Errorf("list = %+v", list)
		}
		admin.do("GET", fmt.Sprintf("%s/templates/%d/schedules", pp, tmpl.ID), "", 200, &list)
		if len(list) != 3 {
			t.Errorf("template's list = %+v", list)
		}
		admin.do("GET", fmt.Sprintf("%s/templates/%d/schedules", pp, qTmpl.ID), "", 404, nil)

		admin.do("DELETE", fmt.Sprintf("%s/schedules/%d", pp, secs.ID), "", 204, nil)
		admin.do("GET", fmt.Sprintf("%s/schedules/%d", pp, secs.ID), "", 404, nil)
		admin.do("DELETE", fmt.Sprintf("%s/schedules/%d", pp, secs.ID), "", 404, nil)

		var events []struct {
			Description string `json:"description"`
		}
		admin.do("GET", pp+"/events", "", 200, &events)
		var text []string
		for _, ev := range events {
			text = append(text, ev.Description)
		}
		all := strings.Join(text, "\n")
		for _, wantEvent := range []string{`created schedule "nightly"`, `changed schedule "hourly"`, `deleted schedule`} {
			if !strings.Contains(all, wantEvent) {
				t.Errorf("no event %q among:\n%s", wantEvent, all)
			}
		}
	})

	t.Run("a schedule of another project is not found", func(t *testing.T) {
		admin.do("GET", fmt.Sprintf("%s/schedules/%d", qp, sch.ID), "", 404, nil)
		admin.do("PUT", fmt.Sprintf("%s/schedules/%d", qp, sch.ID), fmt.Sprintf(`{"template_id":%d,"cron_format":"@daily"}`, qTmpl.ID), 404, nil)
		admin.do("DELETE", fmt.Sprintf("%s/schedules/%d", qp, sch.ID), "", 404, nil)
	})

	item := fmt.Sprintf("%s/schedules/%d", pp, sch.ID)
	for name, tc := range map[string]struct {
		method, path, body string
	}{
		"a bad cron expression":                   {"POST", pp + "/schedules", fmt.Sprintf(`{"template_id":%d,"cron_format":"61 * * * *"}`, tmpl.ID)},
		"a cron expression of seven fields":       {"POST", pp + "/schedules", fmt.Sprintf(`{"template_id":%d,"cron_format":"* * * * * * *"}`, tmpl.ID)},
		"no cron expression":                      {"POST", pp + "/schedules", fmt.Sprintf(`{"template_id":%d}`, tmpl.ID)},
		"a cron expression that never fires":      {"POST", pp + "/schedules", fmt.Sprintf(`{"template_id":%d,"cron_format":"0 0 30 2 *"}`, tmpl.ID)},
		"a run_at in the past":                    {"POST", pp + "/schedules", fmt.Sprintf(`{"template_id":%d,"type":"run_at","run_at":"2001-02-03T04:05:06Z"}`, tmpl.ID)},
		"a run_at schedule without a time":        {"POST", pp + "/schedules", fmt.Sprintf(`{"template_id":%d,"type":"run_at"}`, tmpl.ID)},
		"a run_at that is not a time":             {"POST", pp + "/schedules", fmt.Sprintf(`{"template_id":%d,"type":"run_at","run_at":"tomorrow"}`, tmpl.ID)},
		"an unknown type":                         {"POST", pp + "/schedules", fmt.Sprintf(`{"template_id":%d,"type":"weekly","cron_format":"@daily"}`, tmpl.ID)},
		"no template":                             {"POST", pp + "/schedules", `{"cron_format":"@daily"}`},
		"an unknown template":                     {"POST", pp + "/schedules", `{"template_id":999,"cron_format":"@daily"}`},
		"a template of another project":           {"POST", pp + "/schedules", fmt.Sprintf(`{"template_id":%d,"cron_format":"@daily"}`, qTmpl.ID)},
		"a body project id other than the path's": {"POST", pp + "/schedules", fmt.Sprintf(`{"project_id":%d,"template_id":%d,"cron_format":"@daily"}`, q.ID, tmpl.ID)},
		"a body id other than the path's":         {"PUT", item, fmt.Sprintf(`{"id":999,"template_id":%d,"cron_format":"@daily"}`, tmpl.ID)},
		"a bad cron expression on update":         {"PUT", item, fmt.Sprintf(`{"template_id":%d,"cron_format":"every day"}`, tmpl.ID)},
		"validating a bad cron expression":        {"POST", pp + "/schedules/validate", `{"cron_format":"* * *"}`},
		"a non-numeric schedule id":               {"GET", pp + "/schedules/abc", ""},
	} {
		t.Run(name+" is refused with 400", func(t *testing.T) { admin.do(tc.method, tc.path, tc.body, 400, nil) })
	}
	t.Run("a good cron expression validates", func(t *testing.T) {
		for _, spec := range []string{"*/15 * * * *", "0 */5 * * * *", "@every 90s", "@weekly"} {
			admin.do("POST", pp+"/schedules/validate", fmt.Sprintf(`{"cron_format":%q}`, spec), 204, nil)
		}
	})
	t.Run("an inactive run_at may lie in the past", func(t *testing.T) {
		admin.do("POST", pp+"/schedules", fmt.Sprintf(`{"template_id":%d,"type":"run_at","run_at":"2001-02-03T04:05:06Z","active":false}`, tmpl.ID), 201, nil)
	})

	t.Run("a non-member does not see the schedules", func(t *testing.T) {
		bob.do("GET", pp+"/schedules", "", 404, nil)
		bob.do("GET", item, "", 404, nil)
		bob.do("GET", fmt.Sprintf("%s/templates/%d/schedules", pp, tmpl.ID), "", 404, nil)
		bob.do("POST", pp+"/schedules", fmt.Sprintf(`{"template_id":%d,"cron_format":"@daily"}`, tmpl.ID), 404, nil)
		bob.do("PUT", item, fmt.Sprintf(`{"template_id":%d,"cron_format":"@daily"}`, tmpl.ID), 404, nil)
		bob.do("DELETE", item, "", 404, nil)
	})
	t.Run("a guest reads the schedules but may not change them", func(t *testing.T) {
		u, err := e.svc.FindUser(context.Background(), service.SystemActor, "bob")
		if err != nil {
			t.Fatal(err)
		}
		admin.do("POST", pp+"/users", fmt.Sprintf(`{"user_id":%d,"role":"guest"}`, u.ID), 204, nil)
		bob.do("GET", pp+"/schedules", "", 200, nil)
		bob.do("GET", item, "", 200, nil)
		bob.do("POST", pp+"/schedules", fmt.Sprintf(`{"template_id":%d,"cron_format":"@daily"}`, tmpl.ID), 403, nil)
		bob.do("PUT", item, fmt.Sprintf(`{"template_id":%d,"cron_format":"@daily"}`, tmpl.ID), 403, nil)
		bob.do("DELETE", item, "", 403, nil)
	})

	t.Run("deleting a template deletes its schedules", func(t *testing.T) {
		var doomed, s obj
		admin.do("POST", pp+"/templates", fmt.Sprintf(`{"name":"doomed","app":"bash","playbook":"run.sh","repository_id":%d}`, repo.ID), 201, &doomed)
		admin.do("POST", pp+"/schedules", fmt.Sprintf(`{"template_id":%d,"cron_format":"@daily"}`, doomed.ID), 201, &s)
		admin.do("DELETE", fmt.Sprintf("%s/templates/%d", pp, doomed.ID), "", 204, nil)
		admin.do("GET", fmt.Sprintf("%s/schedules/%d", pp, s.ID), "", 404, nil)
		admin.do("GET", item, "", 200, nil)
	})
	t.Run("deleting the project deletes its schedules", func(t *testing.T) {
		admin.do("DELETE", pp, "", 204, nil)
		admin.do("GET", item, "", 404, nil)
	})
}
