package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/secretbox"
	"github.com/signalbox/signalbox/sdk/executor"
)

// sink is the executor.Output of one attempt. It numbers lines, masks
// secrets, publishes them live, and hands them to a writer goroutine that
// stores them in batches. Its queue is bounded: when the store is behind,
// Write blocks, and the plugin's stream with it, so nothing is dropped.
type sink struct {
	a      *attempt
	queue  chan []model.OutputLine
	done   chan struct{}
	err    error // set by the writer before done is closed
	closed bool

	mu      sync.Mutex
	nextSeq int64
	redact  *secretbox.Redactor
}

var (
	_ executor.Output          = (*sink)(nil)
	_ executor.ApprovalHandler = (*sink)(nil)
)

// queueBatches bounds the memory held by a task's pending output.
const queueBatches = 64

func newSink(ctx context.Context, a *attempt) (*sink, error) {
	last, err := a.r.Store.Output().LastSeq(ctx, a.task.ID)
	if err != nil {
		return nil, err
	}
	s := &sink{a: a, queue: make(chan []model.OutputLine, queueBatches), done: make(chan struct{}),
		nextSeq: last + 1, redact: secretbox.NewRedactor()}
	go s.writer()
	return s, nil
}

// mask adds secret values to hide in every later line.
func (s *sink) mask(secrets []string) {
	var keep []string
	for _, v := range secrets {
		if strings.TrimSpace(v) != "" {
			keep = append(keep, v)
		}
	}
	s.mu.Lock()
	s.redact = secretbox.NewRedactor(keep...)
	s.mu.Unlock()
}

// Write numbers, masks, publishes and queues lines.
func (s *sink) Write(lines ...executor.Line) error {
	if len(lines) == 0 {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("task %d: output is closed", s.a.task.ID)
	}
	batch := make([]model.OutputLine, len(lines))
	for i, l := range lines {
		batch[i] = model.OutputLine{TaskID: s.a.task.ID, Seq: s.nextSeq, Time: l.Time.UTC(), Text: s.redact.Redact(l.Text)}
		s.nextSeq++
	}
	// Queue under the lock, so that batches keep their order.
	s.queue <- batch
	s.mu.Unlock()
	s.a.r.Events.TaskOutput(s.a.task, batch)
	return nil
}

// system writes a line of the runner's own.
func (s *sink) system(text string) {
	_ = s.Write(executor.Line{Time: time.Now(), Stream: executor.StreamSystem, Text: text})
}

// ProcessStarted remembers a process group to kill should the plugin die.
func (s *sink) ProcessStarted(_, pgid int) error {
	s.a.mu.Lock()
	s.a.pgids[pgid] = true
	s.a.mu.Unlock()
	return nil
}

// Status accepts status reports; "running" is set by the runner itself.
func (s *sink) Status(status, message string) error {
	s.a.log.Debug("executor status", "status", status, "message", message)
	return nil
}

// ApprovalRequested stores the summary of what the executor asks to
// approve and moves the task to waiting_confirmation. The attempt's lease is
// renewed meanwhile, like any running attempt's.
func (s *sink) ApprovalRequested(summary json.RawMessage) error {
	s.a.awaitApproval(context.Background(), string(summary))
	return nil
}

// Close stores every queued line and returns the first storage error.
func (s *sink) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	<-s.done
	return s.err
}

// writer stores queued lines in batches of up to FlushLines, at least every
// FlushInterval.
func (s *sink) writer() {
	defer close(s.done)
	cfg := s.a.r.cfg
	var pending []model.OutputLine
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if err := s.store(pending); err != nil && s.err == nil {
			s.err = err
		}
		pending = pending[:0]
	}
	for {
		select {
		case batch, ok := <-s.queue:
			if !ok {
				flush()
				return
			}
			pending = append(pending, batch...)
			if len(pending) >= cfg.FlushLines {
				flush()
			} else if !armed {
				timer.Reset(cfg.FlushInterval)
				armed = true
			}
		case <-timer.C:
			armed = false
			flush()
		}
	}
}

// store appends lines, retrying a few times on a transient error. An
// append is atomic, but its answer can be lost (the database connection or
// the storage plugin died right after the commit): before retrying, the
// lines found stored already count as stored, so that a retry does not fail
// on its own first attempt.
func (s *sink) store(lines []model.OutputLine) error {
	var err error
	for try := 0; try < 6; try++ {
		if err = s.a.r.Store.Output().Append(context.Background(), s.a.task.ID, lines); err == nil {
			return nil
		}
		s.a.log.Warn("store output failed; retrying", "lines", len(lines), "error", err)
		time.Sleep(time.Duration(50<<try) * time.Millisecond)
		if last, lerr := s.a.r.Store.Output().LastSeq(context.Background(), s.a.task.ID); lerr == nil && last >= lines[len(lines)-1].Seq {
			s.a.log.Info("the failed append had been stored", "lines", len(lines))
			return nil
		}
	}
	return err
}
