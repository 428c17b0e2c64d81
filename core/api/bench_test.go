package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/signalbox/signalbox/core/api"
	"github.com/signalbox/signalbox/core/live"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/secretbox"
	"github.com/signalbox/signalbox/core/service"
	"github.com/signalbox/signalbox/core/store/storetest"
)

// benchTasks is how many tasks the read benchmarks put in their project.
const benchTasks = 100_000

// BenchmarkAPI_ListTasks measures GET /api/project/{id}/tasks?limit=50 and
// GET .../templates with 100,000 tasks in the project, 16 requests at a
// time, on each dialect of storetest.Dialects.
func BenchmarkAPI_ListTasks(b *testing.B) {
	for _, d := range storetest.Dialects(b) {
		b.Run(d, func(b *testing.B) {
			st := storetest.Open(b, d)
			box, err := secretbox.New(map[string][]byte{"k1": bytes.Repeat([]byte{7}, 32)}, "k1")
			if err != nil {
				b.Fatal(err)
			}
			svc := service.New(service.Deps{Store: st, Runner: idleRunner{}, Apps: bashOnly{}, Sealer: box, PasswordCost: bcrypt.MinCost})
			ctx := context.Background()
			if _, _, err := svc.EnsureAdmin(ctx, "admin", "admin@example.com", "admin-password"); err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(api.New(api.Config{Services: svc, Hub: live.NewHub(), Version: "bench"}))
			b.Cleanup(srv.Close)
			tok, err := benchToken(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			p := model.Project{Name: "bench"}
			if err := st.Projects().Create(ctx, &p); err != nil {
				b.Fatal(err)
			}
			tm := model.Template{ProjectID: p.ID, Name: "t", App: "bash", Playbook: "x.sh"}
			if err := st.Templates().Create(ctx, &tm); err != nil {
				b.Fatal(err)
			}
			// Seeded through the store: the benchmark is about reading.
			err = st.WithTx(ctx, func(ctx context.Context) error {
				for range benchTasks {
					t := model.Task{ProjectID: p.ID, TemplateID: tm.ID, Status: model.TaskSuccess}
					if err := st.Tasks().Create(ctx, &t); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			for name, path := range map[string]string{
				"tasks":     fmt.Sprintf("/api/project/%d/tasks?limit=50", p.ID),
				"templates": fmt.Sprintf("/api/project/%d/templates", p.ID),
			} {
				b.Run(name, func(b *testing.B) {
					client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
					b.SetParallelism(8) // 16 goroutines on 2 CPUs
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							req, _ := http.NewRequest("GET", srv.URL+path, nil)
							req.Header.Set("Authorization", "Bearer "+tok)
							resp, err := client.Do(req)
							if err != nil {
								b.Error(err)
								return
							}
							_, _ = io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode != 200 {
								b.Errorf("GET %s: %d", path, resp.StatusCode)
								return
							}
						}
					})
				})
			}
		})
	}
}

// benchToken logs in as the admin and returns an API token.
func benchToken(base string) (string, error) {
	resp, err := http.Post(base+"/api/auth/login", "application/json",
		bytes.NewReader([]byte(`{"auth":"admin","password":"admin-password"}`)))
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == api.CookieName {
			cookie = c
		}
	}
	if cookie == nil {
		return "", fmt.Errorf("login: status %d, no cookie", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", base+"/api/user/tokens", nil)
	req.AddCookie(cookie)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var tok struct {
		ID string `json:"id"`
	}
	if err := jsonUnmarshal(b, &tok); err != nil || tok.ID == "" {
		return "", fmt.Errorf("create token: status %d: %s", resp.StatusCode, b)
	}
	return tok.ID, nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
