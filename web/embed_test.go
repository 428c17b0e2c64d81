package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestHandler(t *testing.T) {
	files := fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html><title>Signalbox</title>")},
		"assets/app-1234.js": {Data: []byte("console.log(1)")},
		"favicon.svg":        {Data: []byte("<svg/>")},
	}
	h := Handler(files)
	for name, tc := range map[string]struct {
		path, wantBody, wantCache string
		wantStatus                int
	}{
		"root serves the app":                   {path: "/", wantStatus: 200, wantBody: "<!doctype html>", wantCache: "no-cache"},
		"a client route serves the app":         {path: "/project/1/tasks/2", wantStatus: 200, wantBody: "<!doctype html>", wantCache: "no-cache"},
		"a hashed asset is cached for long":     {path: "/assets/app-1234.js", wantStatus: 200, wantBody: "console.log", wantCache: "public, max-age=31536000, immutable"},
		"another file is revalidated":           {path: "/favicon.svg", wantStatus: 200, wantBody: "<svg/>", wantCache: "no-cache"},
		"a missing asset is not found":          {path: "/assets/gone.js", wantStatus: 404},
		"a path escaping the root gets the app": {path: "/../../etc/passwd", wantStatus: 200, wantBody: "<!doctype html>"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tc.wantStatus {
				t.Fatalf("GET %s status = %d, want %d", tc.path, rec.Code, tc.wantStatus)
			}
			if !strings.HasPrefix(string(body), tc.wantBody) {
				t.Errorf("GET %s body = %q, want prefix %q", tc.path, body, tc.wantBody)
			}
			if got := rec.Header().Get("Cache-Control"); tc.wantCache != "" && got != tc.wantCache {
				t.Errorf("GET %s Cache-Control = %q, want %q", tc.path, got, tc.wantCache)
			}
		})
	}

	t.Run("the embedded build has an index", func(t *testing.T) {
		rec := httptest.NewRecorder()
		Handler(FS()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `<div id="root">`) {
			t.Fatalf("GET / = %d %q, want the built index.html", rec.Code, rec.Body.String())
		}
	})
}
