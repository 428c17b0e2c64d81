package live_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/live"
	"github.com/signalbox/signalbox/core/model"
)

// projects returns an allow func for the given project ids.
func projects(ids ...int64) func(int64) bool {
	return func(id int64) bool { return slices.Contains(ids, id) }
}

// drain returns the messages buffered in s, as strings, without blocking,
// and whether s's channel is closed.
func drain(t *testing.T, s *live.Subscriber) (msgs []string, closed bool) {
	t.Helper()
	msgs = []string{}
	for {
		select {
		case m, ok := <-s.C:
			if !ok {
				return msgs, true
			}
			msgs = append(msgs, string(m))
		default:
			return msgs, false
		}
	}
}

// publication is one Publish call.
type publication struct {
	project int64
	msgs    []string
}

func bytesOf(msgs []string) [][]byte {
	out := make([][]byte, len(msgs))
	for i, m := range msgs {
		out[i] = []byte(m)
	}
	return out
}

func TestHub_Publish(t *testing.T) {
	t.Parallel()
	type sub struct {
		allow func(int64) bool
		buf   int
	}
	for name, tc := range map[string]struct {
		subs []sub
		pubs []publication
		// want are the messages each subscriber holds; wantClosed, whether
		// it was dropped.
		want       [][]string
		wantClosed []bool
	}{
		"a subscriber gets only the projects it may see": {
			subs: []sub{{allow: projects(1), buf: 10}, {allow: projects(2), buf: 10}, {allow: projects(1, 2), buf: 10}},
			pubs: []publication{{1, []string{"a"}}, {2, []string{"b"}}, {3, []string{"c"}}, {1, []string{"d", "e"}}},
			want: [][]string{
				{"a", "d", "e"},
				{"b"},
				{"a", "b", "d", "e"},
			},
			wantClosed: []bool{false, false, false},
		},
		"a subscriber that may see nothing gets nothing": {
			subs:       []sub{{allow: projects(), buf: 10}},
			pubs:       []publication{{1, []string{"a"}}, {2, []string{"b"}}},
			want:       [][]string{{}},
			wantClosed: []bool{false},
		},
		"a publish to nobody's project is a no-op": {
			subs:       []sub{{allow: projects(1), buf: 1}},
			pubs:       []publication{{2, []string{"a", "b", "c"}}},
			want:       [][]string{{}},
			wantClosed: []bool{false},
		},
		"a full subscriber is dropped and the others keep receiving": {
			subs: []sub{{allow: projects(1), buf: 2}, {allow: projects(1), buf: 10}},
			pubs: []publication{{1, []string{"a"}}, {1, []string{"b"}}, {1, []string{"c"}}, {1, []string{"d"}}},
			want: [][]string{
				{"a", "b"},
				{"a", "b", "c", "d"},
			},
			wantClosed: []bool{true, false},
		},
		"a batch that overflows a buffer drops the subscriber after what fit": {
			subs: []sub{{allow: projects(1), buf: 2}, {allow: projects(1), buf: 3}},
			pubs: []publication{{1, []string{"a", "b", "c"}}, {1, []string{"d"}}},
			want: [][]string{
				{"a", "b"},
				{"a", "b", "c"},
			},
			wantClosed: []bool{true, true},
		},
		"a full subscriber of another project is not dropped": {
			subs: []sub{{allow: projects(2), buf: 1}, {allow: projects(1), buf: 10}},
			pubs: []publication{{2, []string{"x"}}, {1, []string{"a"}}, {1, []string{"b"}}},
			want: [][]string{
				{"x"},
				{"a", "b"},
			},
			wantClosed: []bool{false, false},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := live.NewHub()
			subs := make([]*live.Subscriber, len(tc.subs))
			for i, s := range tc.subs {
				subs[i] = h.Subscribe(s.allow, s.buf)
			}
			for _, p := range tc.pubs {
				h.Publish(p.project, bytesOf(p.msgs)...)
			}
			for i, s := range subs {
				got, closed := drain(t, s)
				if diff := cmp.Diff(tc.want[i], got); diff != "" {
					t.Errorf("subscriber %d messages (-want +got):\n%s", i, diff)
				}
				if closed != tc.wantClosed[i] {
					t.Errorf("subscriber %d closed = %v, want %v", i, closed, tc.wantClosed[i])
				}
			}
		})
	}
}

func TestHub_Watched(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		// subscribe lists the allow funcs of the subscribers; unsubscribe,
		// the indexes of those that leave again.
		subscribe   []func(int64) bool
		unsubscribe []int
		// overflow publishes to project 1 until full subscribers drop.
		overflow bool
		want     map[int64]bool
	}{
		"nobody watches an empty hub": {
			want: map[int64]bool{1: false, 2: false},
		},
		"a project is watched by a subscriber allowed to see it": {
			subscribe: []func(int64) bool{projects(1), projects(3)},
			want:      map[int64]bool{1: true, 2: false, 3: true},
		},
		"an unsubscribed subscriber watches nothing": {
			subscribe:   []func(int64) bool{projects(1), projects(2)},
			unsubscribe: []int{0},
			want:        map[int64]bool{1: false, 2: true},
		},
		"a dropped subscriber watches nothing": {
			subscribe: []func(int64) bool{projects(1)},
			overflow:  true,
			want:      map[int64]bool{1: false},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := live.NewHub()
			var subs []*live.Subscriber
			for _, allow := range tc.subscribe {
				subs = append(subs, h.Subscribe(allow, 1))
			}
			for _, i := range tc.unsubscribe {
				h.Unsubscribe(subs[i])
			}
			if tc.overflow {
				h.Publish(1, []byte("a"), []byte("b"))
			}
			for project, want := range tc.want {
				if got := h.Watched(project); got != want {
					t.Errorf("Watched(%d) = %v, want %v", project, got, want)
				}
			}
		})
	}
}

func TestHub_Unsubscribe(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		// before runs before the unsubscribes.
		before func(h *live.Hub, s *live.Subscriber)
		times  int
	}{
		"unsubscribe closes the channel": {
			times: 1,
		},
		"a second unsubscribe is harmless": {
			times: 2,
		},
		"unsubscribing a dropped subscriber is harmless": {
			before: func(h *live.Hub, _ *live.Subscriber) { h.Publish(1, []byte("a"), []byte("b")) },
			times:  2,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := live.NewHub()
			s := h.Subscribe(projects(1), 1)
			other := h.Subscribe(projects(1), 10)
			if tc.before != nil {
				tc.before(h, s)
			}
			for range tc.times {
				h.Unsubscribe(s) // a double close would panic
			}
			if _, closed := drain(t, s); !closed {
				t.Error("channel not closed after Unsubscribe")
			}
			// The hub goes on serving the others.
			h.Publish(1, []byte("after"))
			got, closed := drain(t, other)
			if closed || got[len(got)-1] != "after" {
				t.Errorf("other subscriber got %q (closed %v), want it to go on receiving", got, closed)
			}
		})
	}
}

func TestHub_concurrent(t *testing.T) {
	t.Parallel()
	const (
		publishers  = 8
		publishes   = 200
		subscribers = 16
		churn       = 50
	)
	h := live.NewHub()
	var stop atomic.Bool
	stopped := make(chan struct{})
	var wg sync.WaitGroup

	// Long-lived subscribers, half of them slow enough (tiny buffer, no
	// reader) to be dropped; each checks it only gets its own project.
	type result struct {
		project int64
		msgs    []string
	}
	results := make(chan result, subscribers)
	for i := range subscribers {
		project := int64(i%4 + 1)
		if i%2 == 0 {
			s := h.Subscribe(projects(project), 1)
			wg.Go(func() {
				// Never read: the hub must drop it, not block.
				<-stopped
				h.Unsubscribe(s)
			})
			continue
		}
		s := h.Subscribe(projects(project), 1024)
		wg.Go(func() {
			var got []string
			for m := range s.C {
				got = append(got, string(m))
				if stop.Load() {
					h.Unsubscribe(s)
				}
			}
			results <- result{project: project, msgs: got}
		})
	}
	// Subscribers that come and go while publishing goes on.
	for i := range 4 {
		wg.Go(func() {
			for j := range churn {
				s := h.Subscribe(projects(int64(j%4+1)), i+1)
				h.Publish(int64(j%4+1), []byte(fmt.Sprintf("p%d churn %d", j%4+1, j)))
				h.Unsubscribe(s)
			}
		})
	}
	var pubWG sync.WaitGroup
	for i := range publishers {
		pubWG.Go(func() {
			for j := range publishes {
				project := int64((i+j)%4 + 1)
				if h.Watched(project) {
					h.Publish(project, []byte(fmt.Sprintf("p%d from %d #%d", project, i, j)))
				}
			}
		})
	}
	pubWG.Wait()
	stop.Store(true)
	close(stopped)
	// Wake the readers that are still subscribed, then close everything.
	for p := int64(1); p <= 4; p++ {
		h.Publish(p, []byte(fmt.Sprintf("p%d last", p)))
	}

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("subscribers did not finish: a channel was never closed")
	}
	close(results)
	for r := range results {
		prefix := fmt.Sprintf("p%d ", r.project)
		for _, m := range r.msgs {
			if len(m) < len(prefix) || m[:len(prefix)] != prefix {
				t.Errorf("subscriber of project %d got %q", r.project, m)
			}
		}
	}
	for p := int64(1); p <= 14; p++ {
		if h.Watched(p) {
			t.Errorf("Watched(%d) = true after every subscriber left", p)
		}
	}
}

func TestHub_TaskChanged(t *testing.T) {
	t.Parallel()
	start := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	end := start.Add(90 * time.Second)
	for name, tc := range map[string]struct {
		task model.Task
		want map[string]any
	}{
		"a waiting task has no start nor end": {
			task: model.Task{ID: 11, ProjectID: 1, TemplateID: 5, Status: model.TaskWaiting, Message: "not sent"},
			want: map[string]any{
				"type": "update", "status": "waiting", "start": nil, "end": nil,
				"task_id": 11.0, "template_id": 5.0, "project_id": 1.0, "version": nil,
			},
		},
		"a finished task has its times and version": {
			task: model.Task{ID: 12, ProjectID: 1, TemplateID: 6, Status: model.TaskSuccess, Start: &start, End: &end, Version: "1.0.3"},
			want: map[string]any{
				"type": "update", "status": "success", "start": "2024-05-06T07:08:09Z", "end": "2024-05-06T07:09:39Z",
				"task_id": 12.0, "template_id": 6.0, "project_id": 1.0, "version": "1.0.3",
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := live.NewHub()
			s := h.Subscribe(projects(1), 10)
			h.TaskChanged(tc.task)
			msgs, _ := drain(t, s)
			if len(msgs) != 1 {
				t.Fatalf("got %d messages %q, want 1", len(msgs), msgs)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(msgs[0]), &got); err != nil {
				t.Fatalf("message %q is not JSON: %v", msgs[0], err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHub_TaskOutput(t *testing.T) {
	t.Parallel()
	zone := time.FixedZone("X", 3*3600)
	task := model.Task{ID: 21, ProjectID: 2, TemplateID: 4}
	h := live.NewHub()
	s := h.Subscribe(projects(2), 10)
	h.TaskOutput(task, []model.OutputLine{
		{TaskID: 21, Seq: 1, Time: time.Date(2024, 5, 6, 10, 8, 9, 0, zone), Text: "PLAY [all]"},
		{TaskID: 21, Seq: 2, Time: time.Date(2024, 5, 6, 10, 8, 9, 500000000, zone), Text: `ok: "quoted" <html> é`},
		{TaskID: 21, Seq: 3, Time: time.Date(2024, 5, 6, 10, 8, 10, 0, zone), Text: ""},
	})
	msgs, _ := drain(t, s)
	want := []map[string]any{
		{"type": "log", "output": "PLAY [all]", "time": "2024-05-06T07:08:09Z", "task_id": 21.0, "project_id": 2.0, "seq": 1.0},
		{"type": "log", "output": `ok: "quoted" <html> é`, "time": "2024-05-06T07:08:09.5Z", "task_id": 21.0, "project_id": 2.0, "seq": 2.0},
		{"type": "log", "output": "", "time": "2024-05-06T07:08:10Z", "task_id": 21.0, "project_id": 2.0, "seq": 3.0},
	}
	got := []map[string]any{}
	for _, m := range msgs {
		var v map[string]any
		if err := json.Unmarshal([]byte(m), &v); err != nil {
			t.Fatalf("message %q is not JSON: %v", m, err)
		}
		got = append(got, v)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages, one per line in order (-want +got):\n%s", diff)
	}
	for _, v := range got {
		if _, err := time.Parse(time.RFC3339, v["time"].(string)); err != nil {
			t.Errorf("time %q is not RFC 3339: %v", v["time"], err)
		}
	}
}

func TestHub_unwatchedTasksAreNotPublished(t *testing.T) {
	t.Parallel()
	task := model.Task{ID: 31, ProjectID: 3, TemplateID: 1, Status: model.TaskRunning}
	lines := []model.OutputLine{{TaskID: 31, Seq: 1, Time: time.Now(), Text: "x"}}
	for name, tc := range map[string]struct {
		publish func(h *live.Hub)
		// wantAllowCalls is how often the hub asks the subscriber: once for
		// Watched, and never for a Publish that was skipped.
		wantAllowCalls int64
	}{
		"a change of a task nobody watches is not published": {
			publish:        func(h *live.Hub) { h.TaskChanged(task) },
			wantAllowCalls: 1,
		},
		"output of a task nobody watches is not published": {
			publish:        func(h *live.Hub) { h.TaskOutput(task, lines) },
			wantAllowCalls: 1,
		},
		"no output lines publish nothing": {
			publish:        func(h *live.Hub) { h.TaskOutput(task, nil) },
			wantAllowCalls: 0,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := live.NewHub()
			var calls atomic.Int64
			s := h.Subscribe(func(id int64) bool { calls.Add(1); return id == 1 }, 10)
			tc.publish(h)
			if msgs, _ := drain(t, s); len(msgs) != 0 {
				t.Errorf("subscriber of another project got %q", msgs)
			}
			if got := calls.Load(); got != tc.wantAllowCalls {
				t.Errorf("allow called %d times, want %d", got, tc.wantAllowCalls)
			}
		})
	}
}
