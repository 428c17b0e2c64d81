// Package live fans task events out to connected clients (the WebSocket
// API). It holds no state that matters: a client that falls behind is
// dropped and reads what it missed through the REST API.
package live

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/signalbox/signalbox/core/model"
)

// Subscriber receives encoded messages for the projects it may see.
type Subscriber struct {
	// C delivers messages; it is closed when the subscriber is dropped.
	C     chan []byte
	allow func(projectID int64) bool
	once  sync.Once
}

// offer queues msgs without blocking; false means the buffer is full.
func (s *Subscriber) offer(msgs [][]byte) bool {
	for _, m := range msgs {
		select {
		case s.C <- m:
		default:
			return false
		}
	}
	return true
}

func (s *Subscriber) close() { s.once.Do(func() { close(s.C) }) }

// Hub is an in-process publish/subscribe hub. It is safe for concurrent use.
type Hub struct {
	mu   sync.RWMutex
	subs map[*Subscriber]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*Subscriber]struct{}{}} }

// Subscribe registers a subscriber that gets messages of the projects for
// which allow returns true, buffering up to buf messages. A subscriber whose
// buffer is full is dropped (its channel closed), so a slow client never
// slows a task down.
func (h *Hub) Subscribe(allow func(projectID int64) bool, buf int) *Subscriber {
	s := &Subscriber{C: make(chan []byte, buf), allow: allow}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Unsubscribe removes a subscriber and closes its channel.
func (h *Hub) Unsubscribe(s *Subscriber) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
	s.close()
}

// Watched reports whether anyone may receive messages of a project, so that
// publishers can skip encoding work nobody reads.
func (h *Hub) Watched(projectID int64) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		if s.allow(projectID) {
			return true
		}
	}
	return false
}

// Publish sends messages of a project to every subscriber allowed to see it.
func (h *Hub) Publish(projectID int64, msgs ...[]byte) {
	var slow []*Subscriber
	h.mu.RLock()
	for s := range h.subs {
		if s.allow(projectID) && !s.offer(msgs) {
			slow = append(slow, s)
		}
	}
	h.mu.RUnlock()
	for _, s := range slow {
		h.Unsubscribe(s)
	}
}

// logMessage and updateMessage are Semaphore's WebSocket message shapes.
type logMessage struct {
	Type      string    `json:"type"`
	Output    string    `json:"output"`
	Time      time.Time `json:"time"`
	TaskID    int64     `json:"task_id"`
	ProjectID int64     `json:"project_id"`
	// Seq is the line's position in the task's log (ours, not Semaphore's):
	// a client joins live lines to stored ones by it.
	Seq int64 `json:"seq"`
}

type updateMessage struct {
	Type       string     `json:"type"`
	Status     string     `json:"status"`
	Start      *time.Time `json:"start"`
	End        *time.Time `json:"end"`
	TaskID     int64      `json:"task_id"`
	TemplateID int64      `json:"template_id"`
	ProjectID  int64      `json:"project_id"`
	Version    *string    `json:"version"`
}

// TaskChanged publishes a task's new status.
func (h *Hub) TaskChanged(t model.Task) {
	if !h.Watched(t.ProjectID) {
		return
	}
	m := updateMessage{Type: "update", Status: string(t.Status), Start: t.Start, End: t.End,
		TaskID: t.ID, TemplateID: t.TemplateID, ProjectID: t.ProjectID}
	if t.Version != "" {
		m.Version = &t.Version
	}
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	h.Publish(t.ProjectID, b)
}

// TaskOutput publishes lines of a task's output, one message per line.
func (h *Hub) TaskOutput(t model.Task, lines []model.OutputLine) {
	if len(lines) == 0 || !h.Watched(t.ProjectID) {
		return
	}
	msgs := make([][]byte, 0, len(lines))
	for _, l := range lines {
		b, err := json.Marshal(logMessage{Type: "log", Output: l.Text, Time: l.Time.UTC(), TaskID: t.ID, ProjectID: t.ProjectID, Seq: l.Seq})
		if err != nil {
			continue
		}
		msgs = append(msgs, b)
	}
	h.Publish(t.ProjectID, msgs...)
}
