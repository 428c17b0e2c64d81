package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRecap(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		lines []string
		want  string // the summary's JSON; "" for none
	}{
		"a coloured recap is parsed and totalled": {
			lines: []string{
				"PLAY [all] ***",
				"\x1b[0;32mok: [web1]\x1b[0m",
				"",
				"PLAY RECAP *********************************************************************",
				"\x1b[0;33mweb1\x1b[0m                       : \x1b[0;32mok=3   \x1b[0m \x1b[0;33mchanged=1   \x1b[0m unreachable=0    failed=0    skipped=2    rescued=0    ignored=0   ",
				"\x1b[0;31mdb.example.com\x1b[0m             : \x1b[0;32mok=1   \x1b[0m changed=0    unreachable=0    \x1b[0;31mfailed=1   \x1b[0m skipped=0    rescued=1    ignored=4   ",
				"",
				"some line after the recap: x=1",
			},
			want: `{"hosts":{"db.example.com":{"ok":1,"changed":0,"unreachable":0,"failed":1,"skipped":0,"rescued":1,"ignored":4},` +
				`"web1":{"ok":3,"changed":1,"unreachable":0,"failed":0,"skipped":2,"rescued":0,"ignored":0}},` +
				`"totals":{"ok":4,"changed":1,"unreachable":0,"failed":1,"skipped":2,"rescued":1,"ignored":4}}`,
		},
		"the last recap wins": {
			lines: []string{
				"PLAY RECAP ***", "old : ok=1 changed=0 unreachable=0 failed=0", "",
				"PLAY RECAP ***", "new : ok=2 changed=0 unreachable=0 failed=0",
			},
			want: `{"hosts":{"new":{"ok":2,"changed":0,"unreachable":0,"failed":0,"skipped":0,"rescued":0,"ignored":0}},` +
				`"totals":{"ok":2,"changed":0,"unreachable":0,"failed":0,"skipped":0,"rescued":0,"ignored":0}}`,
		},
		"a recap with no host is an empty summary": {
			lines: []string{"skipping: no hosts matched", "", "PLAY RECAP ***", ""},
			want:  `{"hosts":{},"totals":{"ok":0,"changed":0,"unreachable":0,"failed":0,"skipped":0,"rescued":0,"ignored":0}}`,
		},
		"output without a recap has no summary": {
			lines: []string{"ERROR! the playbook: x.yml could not be found", "web1 : ok=1"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := &recap{}
			for _, l := range tc.lines {
				r.line(l)
			}
			got := string(r.summary().json())
			if tc.want == "" {
				if got != "" {
					t.Fatalf("summary = %s, want none", got)
				}
				return
			}
			var gotV, wantV any
			if err := json.Unmarshal([]byte(got), &gotV); err != nil {
				t.Fatalf("summary %q: %v", got, err)
			}
			_ = json.Unmarshal([]byte(tc.want), &wantV)
			if diff := cmp.Diff(wantV, gotV); diff != "" {
				t.Errorf("summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlaybookFailure(t *testing.T) {
	t.Parallel()
	unreachable := &summary{Totals: hostStats{Unreachable: 1}}
	for _, tc := range []struct {
		code int
		sum  *summary
		want string
	}{
		{1, nil, "ansible-playbook failed: error (exit code 1)"},
		{2, nil, "ansible-playbook failed: one or more hosts failed (exit code 2)"},
		{4, nil, "ansible-playbook failed: parser error (exit code 4)"},
		{4, unreachable, "ansible-playbook failed: one or more hosts were unreachable (exit code 4)"},
		{5, nil, "ansible-playbook failed: bad or incomplete options (exit code 5)"},
		{99, nil, "ansible-playbook failed: interrupted (exit code 99)"},
		{137, nil, "ansible-playbook failed: killed by signal 9 (exit code 137)"},
		{250, nil, "ansible-playbook failed: unexpected error (exit code 250)"},
		{7, nil, "ansible-playbook failed (exit code 7)"},
	} {
		if got := playbookFailure(tc.code, tc.sum); got != tc.want {
			t.Errorf("playbookFailure(%d) = %q, want %q", tc.code, got, tc.want)
		}
	}
}
