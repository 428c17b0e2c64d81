package api_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"gopkg.in/yaml.v3"

	"github.com/gin-gonic/gin"
)

// The contract check: every response the API tests produce, on a route the
// reference spec describes, is validated against that spec.

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

func loadSpec() (routers.Router, error) {
	specOnce.Do(func() {
		b, err := os.ReadFile("testdata/semaphore-api-v2.10.yml")
		if err != nil {
			specErr = err
			return
		}
		var raw any
		if err := yaml.Unmarshal(b, &raw); err != nil {
			specErr = err
			return
		}
		var v2 openapi2.T
		doc := normalizeSpec(raw)
		if err := correctSpec(doc); err != nil {
			specErr = err
			return
		}
		j, err := json.Marshal(doc)
		if err != nil {
			specErr = err
			return
		}
		if err := v2.UnmarshalJSON(j); err != nil {
			specErr = err
			return
		}
		v3, err := openapi2conv.ToV3(&v2)
		if err != nil {
			specErr = err
			return
		}
		v3.Servers = openapi3.Servers{{URL: "/api"}}
		specRouter, specErr = gorillamux.NewRouter(v3)
	})
	return specRouter, specErr
}

// normalizeSpec makes the YAML document JSON-ready (string keys, as for
// the response codes) and rewrites its JSON-Schema-only constructs (type
// lists such as [string, "null"]) into what Swagger 2.0 allows, keeping
// their meaning: a nullable type becomes x-nullable.
func normalizeSpec(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, c := range x {
			m[fmt.Sprint(k)] = c
		}
		return normalizeSpec(m)
	case map[string]any:
		for k, c := range x {
			x[k] = normalizeSpec(c)
		}
		if ts, ok := x["type"].([]any); ok {
			for _, t := range ts {
				if s, _ := t.(string); s != "null" {
					x["type"] = s
				}
			}
			x["x-nullable"] = true
		}
		return x
	case []any:
		for i, c := range x {
			x[i] = normalizeSpec(c)
		}
		return x
	}
	return v
}

// contractRecorder wraps a handler and validates each response on a spec route.
type contractRecorder struct {
	t       *testing.T
	next    http.Handler
	mu      sync.Mutex
	checked map[string]bool
}

func (cr *contractRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	router, err := loadSpec()
	if err != nil {
		cr.t.Errorf("load the reference spec: %v", err)
		cr.next.ServeHTTP(w, r)
		return
	}
	route, params, findErr := router.FindRoute(r)
	if findErr != nil {
		// The spec writes some paths with a trailing slash (/project/{id}/).
		alt := r.Clone(r.Context())
		alt.URL.Path += "/"
		route, params, findErr = router.FindRoute(alt)
	}
	if findErr != nil || r.URL.Path == "/api/ws" {
		cr.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	cr.next.ServeHTTP(rec, r)
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	body := rec.Body.Bytes()
	_, _ = w.Write(body)

	// Only documented statuses are checked: the spec lists few error codes,
	// and our errors all share the {"error": "..."} shape.
	op := route.Operation
	if op.Responses.Status(rec.Code) == nil {
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		cr.t.Errorf("contract: %s %s → %d does not match the reference spec: %v\nbody: %s", r.Method, r.URL.Path, rec.Code,
			firstLine(err.Error()), truncate(body))
	}
	checkedMu.Lock()
	checkedRoutes[r.Method+" "+route.Path] = true
	checkedMu.Unlock()
}

// anyHandler keeps one handler the tests built, to list its routes.
var anyHandler atomic.Value

var (
	checkedMu     sync.Mutex
	checkedRoutes = map[string]bool{}
)

// knownDifferences are routes whose documented answer we differ from on
// purpose; docs/api.md says why.
var knownDifferences = map[string]string{
	"POST /project/{project_id}/repositories": "answers 201 with the new object, as the other create routes do; the spec says 204",
	"POST /project/{project_id}/environment":  "answers 201 with the new object, as the other create routes do; the spec says 204",
}

// specCorrections replace schemas of the spec that contradict both the
// spec's own example and what a real Semaphore v2.10 sends; docs/api.md
// says which. Each is the path of a schema from the document's root.
var specCorrections = []struct {
	path   []string
	schema map[string]any
}{
	// A backup's survey_vars is an array (ProjectBackup's example and a
	// real backup), where the schema says a string.
	{[]string{"definitions", "ProjectBackup", "properties", "templates", "items", "properties", "survey_vars"},
		map[string]any{"type": "array", "items": map[string]any{"$ref": "#/definitions/TemplateSurveyVar"}}},
	// Inventory types: newer Semaphore releases (reference README) add the
	// Terraform/OpenTofu workspace types, which the v2.10 enums lack.
	{[]string{"definitions", "ProjectBackup", "properties", "inventories", "items", "properties", "type"}, inventoryType},
	{[]string{"definitions", "InventoryRequest", "properties", "type"}, inventoryType},
	{[]string{"definitions", "Inventory", "properties", "type"}, inventoryType},
}

var inventoryType = map[string]any{"type": "string",
	"enum": []any{"static", "static-yaml", "file", "terraform-workspace", "tofu-workspace"}}

// correctSpec applies specCorrections to the normalized spec.
func correctSpec(doc any) error {
	for _, c := range specCorrections {
		m, _ := doc.(map[string]any)
		last := len(c.path) - 1
		for _, k := range c.path[:last] {
			m, _ = m[k].(map[string]any)
		}
		if _, ok := m[c.path[last]]; !ok {
			return fmt.Errorf("spec correction: no schema at %s", strings.Join(c.path, "."))
		}
		m[c.path[last]] = c.schema
	}
	return nil
}

// TestMain runs the tests, then fails if a route of the spec that the API
// serves was never checked against the spec by any of them.
func TestMain(m *testing.M) {
	code := m.Run()
	// Coverage is judged on a whole run only, not on a -run subset.
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" {
		if missing := uncheckedRoutes(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "contract: these routes of the reference spec are served but no test checked a documented response of theirs:\n  %s\n",
				strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// uncheckedRoutes lists the spec's operations that the API serves and no
// test response covered.
func uncheckedRoutes() []string {
	served := map[string]bool{}
	eng, ok := anyHandler.Load().(*gin.Engine)
	if !ok {
		return []string{"(no API was built by the tests)"}
	}
	for _, ri := range eng.Routes() {
		served[ri.Method+" "+specPath(ri.Path)] = true
	}
	b, _ := os.ReadFile("testdata/semaphore-api-v2.10.yml")
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	_ = yaml.Unmarshal(b, &doc)
	var missing []string
	for path, ops := range doc.Paths {
		for method := range ops {
			m := strings.ToUpper(method)
			if m == "PARAMETERS" {
				continue
			}
			key := m + " " + strings.TrimSuffix(path, "/")
			if _, known := knownDifferences[m+" "+path]; known {
				continue
			}
			if served[key] && !checkedRoutes[m+" "+path] && !checkedRoutes[m+" "+strings.TrimSuffix(path, "/")] && path != "/ws" {
				missing = append(missing, key)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// specPath writes a gin route the way the spec does: /api/project/:project_id → /project/{project_id}.
func specPath(p string) string {
	p = strings.TrimPrefix(p, "/api")
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.TrimSuffix(strings.Join(parts, "/"), "/")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
