package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/sdk/executor"
)

func TestOptions(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		req            executor.RunRequest
		template, task string
		want           []string
		wantErr        string
	}{
		"nothing set gives no option": {want: nil},
		"the request's flags": {
			req:  executor.RunRequest{Debug: true, DryRun: true, Diff: true, Limit: " web,db "},
			want: []string{"-vvvv", "--check", "--diff", "--limit=web,db"},
		},
		"template params are defaults": {
			template: `{"verbosity": 2, "tags": ["a", " b "], "skip_tags": ["c"], "limit": ["x", ""]}`,
			want:     []string{"-vv", "--limit=x", "--tags=a,b", "--skip-tags=c"},
		},
		"a request flag wins over the template, a task param over both": {
			req:      executor.RunRequest{DryRun: true, Limit: "from-request"},
			template: `{"dry_run": false, "diff": true, "limit": ["from-template"]}`,
			task:     `{"diff": false, "limit": ["from-task"]}`,
			want:     []string{"--check", "--limit=from-task"},
		},
		"a task param turns a request flag off": {
			req:  executor.RunRequest{DryRun: true},
			task: `{"dry_run": false}`,
			want: nil,
		},
		"an empty list clears the template's": {
			template: `{"tags": ["a"]}`,
			task:     `{"tags": []}`,
			want:     nil,
		},
		"debug is the highest verbosity": {
			task: `{"debug": true, "verbosity": 1}`,
			want: []string{"-vvvv"},
		},
		"a negative verbosity fails": {
			task:    `{"verbosity": -1}`,
			wantErr: "verbosity -1 is out of range 0-4",
		},
		"an invalid vault id fails": {
			template: `{"vault_password_scripts": [{"id": "a@b", "path": "x"}]}`,
			wantErr:  `vault password script "x": invalid vault id "a@b"`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var tp templateParams
			var kp params
			if err := decodeParams(json.RawMessage(tc.template), &tp); err != nil {
				t.Fatal(err)
			}
			if err := decodeParams(json.RawMessage(tc.task), &kp); err != nil {
				t.Fatal(err)
			}
			o, err := mergeOptions(tc.req, tp, kp)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("mergeOptions() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, o.args()); diff != "" {
				t.Errorf("args mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
