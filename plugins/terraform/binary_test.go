package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/plugintest"
)

// TestTerraform_Binary builds signalbox-plugin-terraform and drives it as
// the host does: a separate process behind go-plugin, configured through
// its environment, with the approval crossing the process boundary.
func TestTerraform_Binary(t *testing.T) {
	t.Parallel()
	tfBin := terraformBinary(t)
	bin := plugintest.Build(t, ".", "terraform")
	client, _ := plugintest.Launch(t, bin, "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir(), "LANG=C.UTF-8",
		envTerraformBinary+"="+tfBin, envPluginCacheDir+"="+t.TempDir())

	d, err := client.Describe(t.Context())
	if err != nil || d.Name != "terraform" || len(d.Apps) != 2 || d.Apps[0].Version != "Terraform v1.5.7" {
		t.Fatalf("Describe() = %+v, %v", d, err)
	}
	req := request(t, newRepo(t, "basic"), "")
	rec, done := started(t, client, req)
	if got := summaryOf(t, rec.WaitApproval(t, 1, 2*time.Minute)); got != (counts{Add: 1, Workspace: "default"}) {
		t.Errorf("approval summary = %+v, want 1 to add", got)
	}
	r := decideAndWait(t, client, req.TaskID, done, true)
	mustSucceed(t, r)
	if !strings.Contains(r.Text(), `greeting = "hello"`) {
		t.Errorf("the outputs are not in the log:\n%s", r.Text())
	}
	requireGroupsGone(t, rec)
}
