package executor

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	executorv1 "github.com/signalbox/signalbox/sdk/internal/gen/executorv1"
)

func appsToProto(apps []App) []*executorv1.App {
	out := make([]*executorv1.App, 0, len(apps))
	for _, a := range apps {
		out = append(out, &executorv1.App{
			Id: a.ID, Title: a.Title, Description: a.Description, Version: a.Version,
			TemplateSchema: string(a.TemplateSchema), TaskSchema: string(a.TaskSchema),
		})
	}
	return out
}

func appsFromProto(apps []*executorv1.App) []App {
	out := make([]App, 0, len(apps))
	for _, a := range apps {
		out = append(out, App{
			ID: a.GetId(), Title: a.GetTitle(), Description: a.GetDescription(), Version: a.GetVersion(),
			TemplateSchema: raw(a.GetTemplateSchema()), TaskSchema: raw(a.GetTaskSchema()),
		})
	}
	return out
}

func raw(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func runRequestToProto(r RunRequest) *executorv1.RunRequest {
	return &executorv1.RunRequest{
		TaskId: r.TaskID, ProjectId: r.ProjectID, TemplateId: r.TemplateID, Attempt: int32(r.Attempt),
		App: r.App, WorkDir: r.WorkDir, TempDir: r.TempDir, Playbook: r.Playbook,
		InventoryFile: r.InventoryFile, ExtraVarsJson: string(r.ExtraVars), Env: r.Env,
		Arguments: r.Arguments, TemplateParamsJson: string(r.TemplateParams),
		TaskParamsJson: string(r.TaskParams), Secrets: r.Secrets,
		StopGracePeriodMs: r.StopGracePeriod.Milliseconds(),
		Debug:             r.Debug, DryRun: r.DryRun, Diff: r.Diff, Limit: r.Limit, Commit: r.Commit,
		ApprovalsSupported: r.ApprovalsSupported,
	}
}

func runRequestFromProto(r *executorv1.RunRequest) RunRequest {
	return RunRequest{
		TaskID: r.GetTaskId(), ProjectID: r.GetProjectId(), TemplateID: r.GetTemplateId(),
		Attempt: int(r.GetAttempt()), App: r.GetApp(), WorkDir: r.GetWorkDir(), TempDir: r.GetTempDir(),
		Playbook: r.GetPlaybook(), InventoryFile: r.GetInventoryFile(), ExtraVars: raw(r.GetExtraVarsJson()),
		Env: r.GetEnv(), Arguments: r.GetArguments(), TemplateParams: raw(r.GetTemplateParamsJson()),
		TaskParams: raw(r.GetTaskParamsJson()), Secrets: r.GetSecrets(),
		StopGracePeriod: time.Duration(r.GetStopGracePeriodMs()) * time.Millisecond,
		Debug:           r.GetDebug(), DryRun: r.GetDryRun(), Diff: r.GetDiff(), Limit: r.GetLimit(), Commit: r.GetCommit(),
		ApprovalsSupported: r.GetApprovalsSupported(),
	}
}

// validUTF8 makes text safe for a protobuf string field.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func linesToProto(lines []Line) []*executorv1.Line {
	out := make([]*executorv1.Line, len(lines))
	block := make([]executorv1.Line, len(lines)) // one allocation, not one per line
	for i, l := range lines {
		pl := &block[i]
		pl.TimeUnixNano, pl.Stream, pl.Text = l.Time.UnixNano(), executorv1.Stream(l.Stream), validUTF8(l.Text)
		out[i] = pl
	}
	return out
}

func linesFromProto(lines []*executorv1.Line) []Line {
	out := make([]Line, len(lines))
	for i, l := range lines {
		out[i] = Line{Time: time.Unix(0, l.GetTimeUnixNano()), Stream: Stream(l.GetStream()), Text: l.GetText()}
	}
	return out
}

func resultToProto(r Result) *executorv1.Result {
	return &executorv1.Result{
		ExitCode: int32(r.ExitCode), Error: validUTF8(r.Error), SummaryJson: string(r.Summary), Stopped: r.Stopped,
	}
}

func resultFromProto(r *executorv1.Result) Result {
	return Result{ExitCode: int(r.GetExitCode()), Error: r.GetError(), Summary: raw(r.GetSummaryJson()), Stopped: r.GetStopped()}
}
