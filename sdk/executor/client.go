package executor

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	executorv1 "github.com/signalbox/signalbox/sdk/internal/gen/executorv1"
)

// maxRecvBytes is what the host accepts in one message.
const maxRecvBytes = 64 << 20

// Client is the host side of the executor protocol. It implements Executor,
// and adds Stop. Its methods are safe for concurrent use.
type Client struct {
	rpc executorv1.ExecutorServiceClient
	// done is closed when the plugin process exits; calls then fail with
	// ErrPluginExited instead of a transport error.
	done context.Context
}

var (
	_ Executor = (*Client)(nil)
	_ Decider  = (*Client)(nil)
)

// NewClient returns a client on a gRPC connection to an executor plugin.
// done should be cancelled when the plugin process exits; it may be nil.
func NewClient(done context.Context, conn grpc.ClientConnInterface) *Client {
	if done == nil {
		done = context.Background()
	}
	return &Client{rpc: executorv1.NewExecutorServiceClient(conn), done: done}
}

func (c *Client) wrap(err error) error {
	if c.done.Err() != nil {
		return fmt.Errorf("%w: %v", ErrPluginExited, err)
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.AlreadyExists:
			return fmt.Errorf("%w: %s", ErrAlreadyRunning, s.Message())
		case codes.Unavailable:
			return fmt.Errorf("%w: %s", ErrPluginExited, s.Message())
		}
	}
	return err
}

// Exited returns a channel closed when the plugin process has exited.
func (c *Client) Exited() <-chan struct{} { return c.done.Done() }

// Describe asks the plugin who it is.
func (c *Client) Describe(ctx context.Context) (Description, error) {
	resp, err := c.rpc.Describe(ctx, &executorv1.DescribeRequest{})
	if err != nil {
		return Description{}, fmt.Errorf("describe: %w", c.wrap(err))
	}
	return Description{Name: resp.GetName(), Version: resp.GetVersion(), Apps: appsFromProto(resp.GetApps())}, nil
}

// Run runs a task attempt in the plugin and relays its events to out. It
// returns when the plugin sends the result. Cancelling ctx abandons the
// stream, which the plugin treats as a graceful stop; prefer Stop.
func (c *Client) Run(ctx context.Context, req RunRequest, out Output) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopOnExit := context.AfterFunc(c.done, cancel)
	defer stopOnExit()

	approvals, _ := out.(ApprovalHandler)
	req.ApprovalsSupported = approvals != nil
	stream, err := c.rpc.Run(ctx, runRequestToProto(req), grpc.MaxCallRecvMsgSize(maxRecvBytes))
	if err != nil {
		return Result{}, fmt.Errorf("run task %d: %w", req.TaskID, c.wrap(err))
	}
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return Result{}, fmt.Errorf("run task %d: stream ended without a result", req.TaskID)
		}
		if err != nil {
			return Result{}, fmt.Errorf("run task %d: %w", req.TaskID, c.wrap(err))
		}
		switch e := ev.GetEvent().(type) {
		case *executorv1.RunEvent_Output:
			if err := out.Write(linesFromProto(e.Output.GetLines())...); err != nil {
				return Result{}, fmt.Errorf("run task %d: write output: %w", req.TaskID, err)
			}
		case *executorv1.RunEvent_ProcessStarted:
			if err := out.ProcessStarted(int(e.ProcessStarted.GetPid()), int(e.ProcessStarted.GetPgid())); err != nil {
				return Result{}, fmt.Errorf("run task %d: %w", req.TaskID, err)
			}
		case *executorv1.RunEvent_Status:
			if err := out.Status(e.Status.GetStatus(), e.Status.GetMessage()); err != nil {
				return Result{}, fmt.Errorf("run task %d: %w", req.TaskID, err)
			}
		case *executorv1.RunEvent_ApprovalRequested:
			if approvals == nil {
				// The plugin asked although it was told not to: refuse.
				if _, err := c.Decide(ctx, req.TaskID, false); err != nil {
					return Result{}, fmt.Errorf("run task %d: %w", req.TaskID, err)
				}
				continue
			}
			if err := approvals.ApprovalRequested(raw(e.ApprovalRequested.GetSummaryJson())); err != nil {
				return Result{}, fmt.Errorf("run task %d: approval requested: %w", req.TaskID, err)
			}
		case *executorv1.RunEvent_Result:
			return resultFromProto(e.Result), nil
		}
	}
}

// Stop asks the plugin to stop a task: gracefully, or at once with force.
// It reports whether the task was running there.
func (c *Client) Stop(ctx context.Context, taskID int64, force bool) (bool, error) {
	resp, err := c.rpc.Stop(ctx, &executorv1.StopRequest{TaskId: taskID, Force: force})
	if err != nil {
		return false, fmt.Errorf("stop task %d: %w", taskID, c.wrap(err))
	}
	return resp.GetFound(), nil
}

// Decide approves or rejects what a task waiting for approval waits for.
// found is false when the task is not waiting for a decision in the plugin.
// A plugin built before approvals existed answers with an error.
func (c *Client) Decide(ctx context.Context, taskID int64, approved bool) (bool, error) {
	resp, err := c.rpc.Decide(ctx, &executorv1.DecideRequest{TaskId: taskID, Approved: approved})
	if err != nil {
		return false, fmt.Errorf("decide task %d: %w", taskID, c.wrap(err))
	}
	return resp.GetFound(), nil
}
