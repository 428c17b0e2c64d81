// Command signalbox-plugin-echo is a complete, minimal executor plugin: the
// example of docs/plugins.md. Its one app, "echo", prints the task's
// arguments and how many environment variables the task was given, then
// waits for wait_seconds (a task parameter) or until the task is stopped.
//
// Build it as a plugin and drop it into the server's plugins directory:
//
//	go build -o signalbox-plugin-echo ./examples/echo
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
)

func main() { executor.Serve(&Echo{}) }

// Echo is the executor. It keeps no state, so it is safe for concurrent
// use, as an Executor must be.
type Echo struct{}

var _ executor.Executor = (*Echo)(nil)

// taskSchema is the JSON Schema of the echo app's task parameters.
const taskSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "wait_seconds": {"type": "integer", "minimum": 0, "description": "Seconds to wait after printing."}
  }
}`

// Describe names the plugin and its one app.
func (e *Echo) Describe(context.Context) (executor.Description, error) {
	return executor.Description{
		Name:    "echo",
		Version: "1.0.0",
		Apps: []executor.App{{
			ID:          "echo",
			Title:       "Echo",
			Description: "Prints the task's arguments.",
			TaskSchema:  json.RawMessage(taskSchema),
		}},
	}, nil
}

// Run prints, then waits until wait_seconds have passed or the task is
// stopped. It starts no process; one that does should use package
// sdk/process, which implements the stop contract for child processes.
func (e *Echo) Run(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
	if req.App != "echo" {
		return executor.Result{ExitCode: -1, Error: fmt.Sprintf("unknown app %q", req.App)}, nil
	}
	var params struct {
		WaitSeconds int `json:"wait_seconds"`
	}
	if len(req.TaskParams) > 0 {
		if err := json.Unmarshal(req.TaskParams, &params); err != nil {
			return executor.Result{ExitCode: -1, Error: fmt.Sprintf("invalid task params: %v", err)}, nil
		}
	}
	if err := out.Status("running", ""); err != nil {
		return executor.Result{}, err
	}
	now := time.Now()
	// One Write for both lines: output travels in batches.
	if err := out.Write(
		executor.Line{Time: now, Stream: executor.StreamStdout, Text: strings.Join(req.Arguments, " ")},
		executor.Line{Time: now, Stream: executor.StreamStdout, Text: fmt.Sprintf("%d environment variables", len(req.Env))},
	); err != nil {
		return executor.Result{}, err
	}

	wait := time.NewTimer(time.Duration(params.WaitSeconds) * time.Second)
	defer wait.Stop()
	select {
	case <-wait.C:
		return executor.Result{}, nil
	case <-ctx.Done():
		// Stopped: context.Cause(ctx) is executor.ErrStopped or
		// executor.ErrKilled. There is nothing to clean up, so both end
		// the task at once; the SDK marks the result as stopped.
		return executor.Result{ExitCode: 1, Error: context.Cause(ctx).Error()}, nil
	}
}
