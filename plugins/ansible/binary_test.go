package main

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// TestAnsible_Binary builds signalbox-plugin-ansible and drives it as the
// host does: a separate process behind go-plugin, with the short
// environment the host gives plugins.
func TestAnsible_Binary(t *testing.T) {
	t.Parallel()
	requireAnsible(t)
	bin := plugintest.Build(t, ".", "ansible")
	client, _ := plugintest.Launch(t, bin,
		"PATH="+os.Getenv("PATH"), "HOME="+os.Getenv("HOME"), "LANG=C.UTF-8")

	t.Run("the plugin describes itself and runs a playbook", func(t *testing.T) {
		d, err := client.Describe(t.Context())
		if err != nil || d.Name != "ansible" || len(d.Apps) != 1 || !strings.HasPrefix(d.Apps[0].Version, "ansible-playbook") {
			t.Fatalf("Describe() = %+v, %v", d, err)
		}
		req := request(t, newRepo(t, "site.yml"), "site.yml", localHost("localhost"))
		req.ExtraVars = json.RawMessage(`{"greeting": "from the binary"}`)
		run := plugintest.Run(t, client, req)
		if run.Err != nil || run.Result.Failed() {
			t.Fatalf("Run() = %+v, %v; output:\n%s", run.Result, run.Err, run.Text())
		}
		if !strings.Contains(plainText(run.Recorder), "greeting=from the binary") {
			t.Errorf("output lacks the greeting:\n%s", run.Text())
		}
		var s summary
		if err := json.Unmarshal(run.Result.Summary, &s); err != nil || s.Hosts["localhost"] != okStats {
			t.Errorf("summary = %s, %v; want localhost %+v", run.Result.Summary, err, okStats)
		}
		if got := texts(run.Lines(), executor.StreamSystem); len(got) != 0 {
			t.Errorf("system lines = %q, want none", got)
		}
		requireGroupsGone(t, run.Recorder)
	})

	t.Run("a graceful stop reaches ansible-playbook as SIGINT", func(t *testing.T) {
		// The plugin process handles SIGINT (go-plugin ignores it), so its
		// children get the default action and Ansible ends as on Ctrl+C.
		req := request(t, newRepo(t, "long.yml"), "long.yml", localHost("localhost"))
		sleep := strconv.FormatInt(3600+req.TaskID, 10)
		req.ExtraVars = json.RawMessage(`{"sleep_seconds": ` + sleep + `}`)
		rec, done := start(t, client, req, `"msg": "ready"`)
		// Ansible may miss a SIGINT that lands while a worker starts;
		// stop it once the sleep task runs, as a person would.
		waitProcess(t, "sleep "+sleep, 60*time.Second)
		if found, err := client.Stop(t.Context(), req.TaskID, false); err != nil || !found {
			t.Fatalf("Stop() = %v, %v; want true, nil", found, err)
		}
		r := wait(t, done, req.StopGracePeriod+10*time.Second)
		if r.Err != nil || !r.Result.Stopped || r.Result.ExitCode != 99 || r.Result.Error != "task stopped (exit code 99)" {
			t.Errorf("Run() = %+v, %v; want stopped with exit code 99; output:\n%s", r.Result, r.Err, rec.Text())
		}
		requireGroupsGone(t, rec)
	})
}
