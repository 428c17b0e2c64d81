package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	executorv1 "github.com/signalbox/signalbox/sdk/internal/gen/executorv1"
)

// maxBatchBytes bounds one Output message; the host accepts far more, so a
// batch never hits gRPC's message limit.
const maxBatchBytes = 1 << 20

// server adapts an Executor to the gRPC service.
type server struct {
	executorv1.UnimplementedExecutorServiceServer
	impl Executor
	log  hclog.Logger
	// base is cancelled when the plugin shuts down; every run is killed then.
	base context.Context

	mu   sync.Mutex
	runs map[int64]*activeRun
	// idleTimer returns memory to the system once no task has run for a
	// while (see releaseWhenIdle).
	idleTimer *time.Timer
}

// idleRelease is how long a plugin without tasks waits before it returns
// the heap its last tasks used (a task streaming a million lines grows it)
// to the operating system, which Go's runtime would do only minutes later.
const idleRelease = time.Second

// releaseWhenIdle arranges the release once the last run ended; s.mu is held.
func (s *server) releaseWhenIdle() {
	if len(s.runs) > 0 {
		return
	}
	if s.idleTimer != nil {
		s.idleTimer.Stop()
	}
	s.idleTimer = time.AfterFunc(idleRelease, func() {
		s.mu.Lock()
		idle := len(s.runs) == 0
		s.mu.Unlock()
		if idle {
			// Two collections: the first only moves pooled buffers (gRPC's,
			// the output batches') to sync.Pool's victim cache; the second
			// frees them, and FreeOSMemory returns the pages.
			runtime.GC()
			debug.FreeOSMemory()
		}
	})
}

type activeRun struct {
	cancel   context.CancelCauseFunc
	killOnce sync.Once
	killed   chan struct{}
	done     chan struct{}

	// decision, when not nil, is where a Decide for the run goes: the run
	// is waiting for approval.
	mu       sync.Mutex
	decision chan bool
}

// decide hands a decision to the run if it waits for one.
func (r *activeRun) decide(approved bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.decision == nil {
		return false
	}
	r.decision <- approved // buffered, and set to nil right after: never blocks
	r.decision = nil
	return true
}

func (r *activeRun) stop(force bool) {
	if !force {
		r.cancel(ErrStopped)
		return
	}
	// Close killed before cancelling: a Run that sees its ctx done with
	// cause ErrKilled must find Killed(ctx) closed already.
	r.killOnce.Do(func() { close(r.killed) })
	r.cancel(ErrKilled)
}

func newServer(base context.Context, impl Executor, log hclog.Logger) *server {
	return &server{impl: impl, log: log, base: base, runs: map[int64]*activeRun{}}
}

func (s *server) Describe(ctx context.Context, _ *executorv1.DescribeRequest) (*executorv1.DescribeResponse, error) {
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "describe: %v", err)
	}
	return &executorv1.DescribeResponse{Name: d.Name, Version: d.Version, Apps: appsToProto(d.Apps)}, nil
}

func (s *server) Run(req *executorv1.RunRequest, stream executorv1.ExecutorService_RunServer) error {
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	run := &activeRun{cancel: cancel, killed: make(chan struct{}), done: make(chan struct{})}
	defer close(run.done)
	// A plugin shutting down kills what it runs, so nothing outlives it.
	stopAfter := context.AfterFunc(s.base, func() { run.stop(true) })
	defer stopAfter()

	s.mu.Lock()
	if _, busy := s.runs[req.GetTaskId()]; busy {
		s.mu.Unlock()
		return status.Errorf(codes.AlreadyExists, "task %d: %v", req.GetTaskId(), ErrAlreadyRunning)
	}
	s.runs[req.GetTaskId()] = run
	s.mu.Unlock()
	// forget unregisters this run, and only this one: once it is forgotten
	// a new run of the same task may have taken its place.
	forget := func() {
		s.mu.Lock()
		if s.runs[req.GetTaskId()] == run {
			delete(s.runs, req.GetTaskId())
			s.releaseWhenIdle()
		}
		s.mu.Unlock()
	}
	defer forget()

	out := &streamOutput{stream: stream, run: run, approvals: req.GetApprovalsSupported()}
	res, err := s.safeRun(WithKilled(ctx, run.killed), runRequestFromProto(req), out)
	// Forget the run before sending its result: the host may run the task
	// again (a retry) as soon as it has the result.
	forget()
	if err != nil {
		if res.ExitCode == 0 {
			res.ExitCode = -1
		}
		res.Error = err.Error()
	}
	if cause := context.Cause(ctx); errors.Is(cause, ErrStopped) || errors.Is(cause, ErrKilled) {
		res.Stopped = true
	}
	return out.send(&executorv1.RunEvent{Event: &executorv1.RunEvent_Result{Result: resultToProto(res)}})
}

// safeRun turns a panic of the implementation into a failed task, so one bad
// task cannot take down the plugin and every other task in it.
func (s *server) safeRun(ctx context.Context, req RunRequest, out Output) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("executor panicked", "task_id", req.TaskID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("executor panicked: %v", p)
		}
	}()
	return s.impl.Run(ctx, req, out)
}

func (s *server) Stop(_ context.Context, req *executorv1.StopRequest) (*executorv1.StopResponse, error) {
	s.mu.Lock()
	run, ok := s.runs[req.GetTaskId()]
	s.mu.Unlock()
	if ok {
		run.stop(req.GetForce())
	}
	return &executorv1.StopResponse{Found: ok}, nil
}

func (s *server) Decide(_ context.Context, req *executorv1.DecideRequest) (*executorv1.DecideResponse, error) {
	s.mu.Lock()
	run, ok := s.runs[req.GetTaskId()]
	s.mu.Unlock()
	return &executorv1.DecideResponse{Found: ok && run.decide(req.GetApproved())}, nil
}

// stopAll kills every run and waits for them to end.
func (s *server) stopAll() {
	s.mu.Lock()
	runs := make([]*activeRun, 0, len(s.runs))
	for _, r := range s.runs {
		runs = append(runs, r)
	}
	s.mu.Unlock()
	for _, r := range runs {
		r.stop(true)
	}
	for _, r := range runs {
		<-r.done
	}
}

// streamOutput implements Output on a server stream. gRPC streams are not
// safe for concurrent sends, so sends are serialised.
type streamOutput struct {
	mu     sync.Mutex
	stream executorv1.ExecutorService_RunServer
	run    *activeRun
	// approvals is set when the host answers approval requests.
	approvals bool
	// awaiting serialises approval requests: one at a time per run.
	awaiting sync.Mutex
}

var _ Approver = (*streamOutput)(nil)

func (o *streamOutput) AwaitApproval(ctx context.Context, summary json.RawMessage) (bool, error) {
	if !o.approvals {
		return false, ErrApprovalUnsupported
	}
	if len(summary) > 0 && !json.Valid(summary) {
		return false, fmt.Errorf("await approval: summary is not valid JSON")
	}
	o.awaiting.Lock()
	defer o.awaiting.Unlock()
	ch := make(chan bool, 1)
	// Register before asking: the host may decide as soon as it has the request.
	o.run.mu.Lock()
	o.run.decision = ch
	o.run.mu.Unlock()
	defer func() {
		o.run.mu.Lock()
		if o.run.decision == ch {
			o.run.decision = nil
		}
		o.run.mu.Unlock()
	}()
	err := o.send(&executorv1.RunEvent{Event: &executorv1.RunEvent_ApprovalRequested{
		ApprovalRequested: &executorv1.ApprovalRequested{SummaryJson: string(summary)},
	}})
	if err != nil {
		return false, fmt.Errorf("await approval: %w", err)
	}
	select {
	case approved := <-ch:
		return approved, nil
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}

func (o *streamOutput) send(ev *executorv1.RunEvent) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.stream.Send(ev)
}

func (o *streamOutput) Write(lines ...Line) error {
	for len(lines) > 0 {
		n, size := 0, 0
		for n < len(lines) && (n == 0 || size+len(lines[n].Text) < maxBatchBytes) {
			size += len(lines[n].Text) + 16
			n++
		}
		ev := &executorv1.RunEvent{Event: &executorv1.RunEvent_Output{Output: &executorv1.Output{Lines: linesToProto(lines[:n])}}}
		if err := o.send(ev); err != nil {
			return fmt.Errorf("send output: %w", err)
		}
		lines = lines[n:]
	}
	return nil
}

func (o *streamOutput) ProcessStarted(pid, pgid int) error {
	return o.send(&executorv1.RunEvent{Event: &executorv1.RunEvent_ProcessStarted{
		ProcessStarted: &executorv1.ProcessStarted{Pid: int64(pid), Pgid: int64(pgid)},
	}})
}

func (o *streamOutput) Status(st, msg string) error {
	return o.send(&executorv1.RunEvent{Event: &executorv1.RunEvent_Status{
		Status: &executorv1.StatusChange{Status: validUTF8(st), Message: validUTF8(msg)},
	}})
}
