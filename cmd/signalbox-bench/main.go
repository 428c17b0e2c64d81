// Command signalbox-bench is the load driver of `make bench`. It starts the
// real server (bin/signalbox with the shell plugin of bin/plugins) on a free
// loopback port with a fresh data directory, once per store, drives it over
// HTTP only, and prints a table of what it measured:
//
//   - cold start: from exec to the first 200 of /api/ping, on an empty database;
//   - output: lines/s and lines lost for tasks printing 10k, 100k and 1M lines
//     of about 80 bytes, from POST /tasks to the final status, every line
//     read back page by page (?offset=&limit=) and compared;
//   - dispatch: p50/p95 from POST /tasks to the moment the task's script
//     starts (it prints $EPOCHREALTIME), on an idle server;
//   - throughput: 100 trivial tasks posted at once, 10 parallel slots;
//   - reads: p50/p99 of GET .../tasks?limit=50 and GET .../templates at
//     concurrency 16 with --seed tasks in the project;
//   - memory: VmRSS of the server and of the plugin, idle and at peak while a
//     1M-line task streams.
//
// It imports nothing of the server's packages. Every request goes to
// 127.0.0.1; every phase is bounded in count and time.
//
// Seeding: the seeded tasks are created through the API in a project whose
// max_parallel_tasks is 1 and whose one slot is held by a sleeping task, so
// they stay waiting (and are never run); the server is killed afterwards.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

const adminPassword = "bench-admin-password"

// pad makes each output line 80 bytes: "line %09d " (15) + 65.
var pad = strings.Repeat("x", 65)

func expectedLine(i int) string { return fmt.Sprintf("line %09d %s", i, pad) }

var scripts = map[string]string{
	// lines.sh N prints N numbered lines of 80 bytes.
	"lines.sh": `awk -v n="$1" 'BEGIN{p=sprintf("%65s",""); gsub(/ /,"x",p); for(i=1;i<=n;i++) printf "line %09d %s\n", i, p}'` + "\n",
	// start.sh prints the time it started, without forking.
	"start.sh": `echo "$EPOCHREALTIME"` + "\n",
	"noop.sh":  "true\n",
	"sleep.sh": "sleep 600\n",
}

type options struct {
	bin, pluginDir string
	stores         []string
	lines          []int
	repeat         int
	dispatch       int
	burst          int
	seed           int
	apiRequests    int
	pgAdminDSN     string
	keep           bool
	timeout        time.Duration
	phases         map[string]bool
}

func main() {
	var o options
	var stores, lines string
	flag.StringVar(&o.bin, "bin", "bin/signalbox", "the server binary")
	flag.StringVar(&o.pluginDir, "plugins", "bin/plugins", "the plugin directory")
	flag.StringVar(&stores, "store", "sqlite,postgres", "comma list of stores: sqlite, postgres, bolt")
	flag.StringVar(&lines, "lines", "10000,100000,1000000", "comma list of output task sizes, in lines")
	flag.IntVar(&o.repeat, "repeat", 1, "runs of each output task size")
	flag.IntVar(&o.dispatch, "dispatch", 50, "sequential tasks for the dispatch latency")
	flag.IntVar(&o.burst, "burst", 100, "tasks posted at once for the throughput")
	flag.IntVar(&o.seed, "seed", 100000, "tasks created in the project before the read benchmark (0: skip it)")
	flag.IntVar(&o.apiRequests, "api-requests", 2000, "requests per read benchmark")
	flag.StringVar(&o.pgAdminDSN, "pg-admin-dsn", "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable",
		"PostgreSQL DSN used to create and drop the benchmark database")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound of the whole run of one store")
	flag.BoolVar(&o.keep, "keep", false, "keep the data directory and the PostgreSQL database")
	phases := flag.String("phases", "output,dispatch,burst,reads", "comma list of the phases to run")
	flag.Parse()
	o.phases = map[string]bool{}
	for _, p := range splitList(*phases) {
		o.phases[p] = true
	}
	o.stores = splitList(stores)
	for _, s := range splitList(lines) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			fatalf("bad -lines entry %q", s)
		}
		o.lines = append(o.lines, n)
	}
	var results []*result
	failed := false
	for _, st := range o.stores {
		r, err := runStore(o, st)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", st, err)
			failed = true
		}
		if r != nil {
			results = append(results, r)
		}
	}
	printTable(os.Stdout, o, results)
	if failed {
		os.Exit(1)
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "signalbox-bench: "+format+"\n", args...)
	os.Exit(2)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}

// result is what one store's run measured.
type result struct {
	store       string
	coldStart   time.Duration
	outputs     []outputResult
	dispatchP50 time.Duration
	dispatchP95 time.Duration
	dispatchSrv time.Duration // p50 of task.start - task.created
	burstTime   time.Duration
	burstN      int
	seedTime    time.Duration
	seeded      int
	tasksP50    time.Duration
	tasksP99    time.Duration
	tmplP50     time.Duration
	tmplP99     time.Duration
	tasksCPU    time.Duration // server CPU time per request
	tmplCPU     time.Duration
	rssIdle     int64 // KiB, server, after start
	// KiB, anonymous and file-backed parts of rssIdle and of pluginIdle
	rssIdleAnon, rssIdleFile, pluginIdleAnon, pluginIdleFile int64
	rssIdleAfter                                             int64 // KiB, server, idle after the output tasks
	pluginIdle                                               int64
	storageIdle                                              int64 // KiB
	rssPeak                                                  int64 // KiB, server, while the largest task streams
	pluginPeak                                               int64
	dbBytes                                                  int64 // bytes of the database after the output tasks (sqlite: files; postgres: pg_database_size)
	storedLines                                              int64
}

type outputResult struct {
	lines     int
	lost      int
	bad       int
	status    string
	total     time.Duration // POST → final status seen
	run       time.Duration // task start → end, server side
	readTime  time.Duration // reading every page
	pageLines int
}

// server is a running signalbox process.
type server struct {
	cmd    *exec.Cmd
	base   string
	client *http.Client
	log    *bytes.Buffer
	logMu  sync.Mutex
}

func (s *server) Write(p []byte) (int, error) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if s.log.Len() < 1<<20 {
		s.log.Write(p)
	}
	return len(p), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func runStore(o options, store string) (res *result, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	res = &result{store: store}
	dataDir, err := os.MkdirTemp("", "signalbox-bench-")
	if err != nil {
		return nil, err
	}
	if !o.keep {
		defer os.RemoveAll(dataDir)
	}
	env := []string{}
	var dbName string
	switch store {
	case "sqlite":
		env = append(env, "SIGNALBOX_STORE=sqlite")
	case "bolt":
		env = append(env, "SIGNALBOX_STORE=bolt")
	case "postgres":
		dbName = fmt.Sprintf("signalbox_bench_%d", time.Now().UnixNano())
		admin, err := sql.Open("pgx", o.pgAdminDSN)
		if err != nil {
			return nil, err
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+dbName); err != nil {
			return nil, fmt.Errorf("create database: %w", err)
		}
		defer func() {
			if o.keep {
				logf("kept database %s", dbName)
				return
			}
			if _, err := admin.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)"); err != nil {
				logf("drop database %s: %v", dbName, err)
			}
		}()
		dsn := dsnWithDB(o.pgAdminDSN, dbName)
		env = append(env, "SIGNALBOX_STORE=postgres", "SIGNALBOX_STORE_DSN="+dsn)
	default:
		return nil, fmt.Errorf("unknown store %q", store)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	pluginDir, err := filepath.Abs(o.pluginDir)
	if err != nil {
		return nil, err
	}
	s := &server{base: "http://" + addr, log: &bytes.Buffer{}}
	s.cmd = exec.Command(o.bin, "server")
	s.cmd.Env = append(os.Environ(), append(env,
		"SIGNALBOX_LISTEN="+addr, "SIGNALBOX_DATA_DIR="+dataDir, "SIGNALBOX_PLUGIN_DIR="+pluginDir,
		"SIGNALBOX_ADMIN_PASSWORD="+adminPassword, "SIGNALBOX_LOG_LEVEL=warn", "SIGNALBOX_MAX_PARALLEL_TASKS=10")...)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	logf("%s: starting %s on %s", store, o.bin, addr)
	pingClient := &http.Client{Timeout: time.Second}
	t0 := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
		if err != nil {
			s.logMu.Lock()
			fmt.Fprintf(os.Stderr, "server log:\n%s\n", s.log.String())
			s.logMu.Unlock()
		}
	}()
	for {
		if time.Since(t0) > 30*time.Second {
			return nil, errors.New("the server did not answer /api/ping within 30s")
		}
		resp, err := pingClient.Get(s.base + "/api/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		time.Sleep(time.Millisecond)
	}
	res.coldStart = time.Since(t0)
	logf("%s: cold start %s", store, res.coldStart)
	jar, _ := cookiejar.New(nil)
	s.client = &http.Client{Jar: jar, Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	if err := s.call(ctx, "POST", "/api/auth/login", map[string]string{"auth": "admin", "password": adminPassword}, 204, nil); err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond)
	res.rssIdle = rss(s.cmd.Process.Pid)
	res.rssIdleAnon, res.rssIdleFile = rssParts(s.cmd.Process.Pid)

	proj, tmpl, err := setup(ctx, s, "bench", 0)
	if err != nil {
		return nil, err
	}
	// The first task starts the plugin.
	if _, err := s.runTask(ctx, proj, tmpl["noop.sh"], "", 5*time.Millisecond); err != nil {
		return nil, err
	}

	// Output.
	largest := 0
	for _, n := range o.lines {
		largest = max(largest, n)
	}
	for _, n := range o.lines {
		if !o.phases["output"] {
			break
		}
		for range o.repeat {
			var peak, ppeak atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			if n == largest {
				wg.Go(func() {
					tick := time.NewTicker(20 * time.Millisecond)
					defer tick.Stop()
					for {
						peak.Store(max(peak.Load(), rss(s.cmd.Process.Pid)))
						ppeak.Store(max(ppeak.Load(), pluginRSS(s.cmd.Process.Pid)))
						select {
						case <-stop:
							return
						case <-tick.C:
						}
					}
				})
			}
			or, err := s.outputTask(ctx, proj, tmpl["lines.sh"], n)
			close(stop)
			wg.Wait()
			if err != nil {
				return res, err
			}
			if n == largest {
				res.rssPeak, res.pluginPeak = max(res.rssPeak, peak.Load()), max(res.pluginPeak, ppeak.Load())
			}
			res.outputs = append(res.outputs, or)
			res.storedLines += int64(n)
			logf("%s: %d lines: %s, lost %d, total %s, %.0f lines/s, read %s", store, n, or.status, or.lost, or.total,
				float64(n)/or.total.Seconds(), or.readTime)
		}
	}
	res.dbBytes = dbSize(ctx, o, store, dataDir, dbName)

	// Dispatch latency on an idle server.
	time.Sleep(300 * time.Millisecond)
	var lat, srv []time.Duration
	for i := 0; i < o.dispatch && o.phases["dispatch"]; i++ {
		d, sd, err := s.dispatchOnce(ctx, proj, tmpl["start.sh"])
		if err != nil {
			return res, err
		}
		lat = append(lat, d)
		srv = append(srv, sd)
		time.Sleep(20 * time.Millisecond)
	}
	res.dispatchP50, res.dispatchP95 = pct(lat, 50), pct(lat, 95)
	res.dispatchSrv = pct(srv, 50)
	logf("%s: dispatch p50 %s p95 %s (server-side start-created p50 %s)", store, res.dispatchP50, res.dispatchP95, res.dispatchSrv)

	// Burst.
	if o.phases["burst"] {
		res.burstN = o.burst
		res.burstTime, err = s.burst(ctx, proj, tmpl["noop.sh"], o.burst)
		if err != nil {
			return res, err
		}
	}
	logf("%s: %d tasks in %s", store, o.burst, res.burstTime)
	time.Sleep(2 * time.Second)
	res.rssIdleAfter = rss(s.cmd.Process.Pid)
	res.pluginIdle = pluginRSS(s.cmd.Process.Pid)
	res.pluginIdleAnon, res.pluginIdleFile = rssParts(childPID(s.cmd.Process.Pid, false))
	res.storageIdle = storageRSS(s.cmd.Process.Pid)

	// Reads with many tasks.
	if o.seed > 0 && o.phases["reads"] {
		sp, stm, err := setup(ctx, s, "seeded", 1)
		if err != nil {
			return res, err
		}
		var blocker task
		if err := s.call(ctx, "POST", fmt.Sprintf("/api/project/%d/tasks", sp), map[string]any{"template_id": stm["sleep.sh"]}, 201, &blocker); err != nil {
			return res, err
		}
		t1 := time.Now()
		if err := s.seed(ctx, sp, stm["noop.sh"], o.seed); err != nil {
			return res, err
		}
		res.seedTime, res.seeded = time.Since(t1), o.seed
		logf("%s: seeded %d tasks in %s", store, o.seed, res.seedTime)
		time.Sleep(time.Second)
		res.tasksP50, res.tasksP99, res.tasksCPU, err = s.loadGET(ctx, fmt.Sprintf("/api/project/%d/tasks?limit=50", sp), 16, o.apiRequests)
		if err != nil {
			return res, err
		}
		res.tmplP50, res.tmplP99, res.tmplCPU, err = s.loadGET(ctx, fmt.Sprintf("/api/project/%d/templates", sp), 16, o.apiRequests)
		if err != nil {
			return res, err
		}
		logf("%s: tasks list p50 %s p99 %s (server CPU %s/req); templates p50 %s p99 %s (server CPU %s/req)", store,
			res.tasksP50, res.tasksP99, res.tasksCPU, res.tmplP50, res.tmplP99, res.tmplCPU)
		_ = s.call(ctx, "POST", fmt.Sprintf("/api/project/%d/tasks/%d/stop", sp, blocker.ID), map[string]any{"force": true}, 204, nil)
	}
	return res, nil
}

func dsnWithDB(dsn, db string) string {
	var parts []string
	for _, f := range strings.Fields(dsn) {
		if !strings.HasPrefix(f, "dbname=") {
			parts = append(parts, f)
		}
	}
	return strings.Join(append(parts, "dbname="+db), " ")
}

func dbSize(ctx context.Context, o options, store, dataDir, dbName string) int64 {
	switch store {
	case "sqlite":
		var n int64
		for _, f := range []string{"signalbox.db", "signalbox.db-wal"} {
			if st, err := os.Stat(filepath.Join(dataDir, f)); err == nil {
				n += st.Size()
			}
		}
		return n
	case "bolt":
		if st, err := os.Stat(filepath.Join(dataDir, "signalbox.bolt")); err == nil {
			return st.Size()
		}
	case "postgres":
		db, err := sql.Open("pgx", o.pgAdminDSN)
		if err != nil {
			return 0
		}
		defer db.Close()
		var n int64
		_ = db.QueryRowContext(ctx, "SELECT pg_database_size($1)", dbName).Scan(&n)
		return n
	}
	return 0
}

func (s *server) call(ctx context.Context, method, path string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

type idObj struct {
	ID int64 `json:"id"`
}

type task struct {
	ID      int64      `json:"id"`
	Status  string     `json:"status"`
	Message string     `json:"message"`
	Created time.Time  `json:"created"`
	Start   *time.Time `json:"start"`
	End     *time.Time `json:"end"`
}

func (t task) final() bool {
	return t.Status == "success" || t.Status == "error" || t.Status == "stopped"
}

// setup creates a project with a local-folder repository of the scripts and
// one bash template per script.
func setup(ctx context.Context, s *server, name string, maxParallel int) (int64, map[string]int64, error) {
	repo, err := os.MkdirTemp("", "signalbox-bench-repo-")
	if err != nil {
		return 0, nil, err
	}
	for n, body := range scripts {
		if err := os.WriteFile(filepath.Join(repo, n), []byte(body), 0o755); err != nil {
			return 0, nil, err
		}
	}
	var p, r idObj
	if err := s.call(ctx, "POST", "/api/projects", map[string]any{"name": name, "max_parallel_tasks": maxParallel}, 201, &p); err != nil {
		return 0, nil, err
	}
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	if err := s.call(ctx, "POST", pp+"/repositories", map[string]any{"name": "scripts", "git_url": repo}, 201, &r); err != nil {
		return 0, nil, err
	}
	tmpls := map[string]int64{}
	for n := range scripts {
		var tm idObj
		if err := s.call(ctx, "POST", pp+"/templates", map[string]any{"name": n, "app": "bash", "playbook": n,
			"repository_id": r.ID, "allow_override_args_in_task": true}, 201, &tm); err != nil {
			return 0, nil, err
		}
		tmpls[n] = tm.ID
	}
	return p.ID, tmpls, nil
}

func (s *server) post(ctx context.Context, project, tmpl int64, args string) (task, error) {
	body := map[string]any{"template_id": tmpl}
	if args != "" {
		body["arguments"] = args
	}
	var t task
	err := s.call(ctx, "POST", fmt.Sprintf("/api/project/%d/tasks", project), body, 201, &t)
	return t, err
}

func (s *server) wait(ctx context.Context, project, id int64, poll time.Duration) (task, error) {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var t task
		if err := s.call(ctx, "GET", fmt.Sprintf("/api/project/%d/tasks/%d", project, id), nil, 200, &t); err != nil {
			return t, err
		}
		if t.final() {
			return t, nil
		}
		if time.Now().After(deadline) {
			return t, fmt.Errorf("task %d stuck in %s", id, t.Status)
		}
		time.Sleep(poll)
	}
}

func (s *server) runTask(ctx context.Context, project, tmpl int64, args string, poll time.Duration) (task, error) {
	t, err := s.post(ctx, project, tmpl, args)
	if err != nil {
		return t, err
	}
	t, err = s.wait(ctx, project, t.ID, poll)
	if err == nil && t.Status != "success" {
		err = fmt.Errorf("task %d ended %s: %s", t.ID, t.Status, t.Message)
	}
	return t, err
}

type outputLine struct {
	Seq    int64  `json:"seq"`
	Output string `json:"output"`
}

// pageLines is the page size of output reads.
const pageLines = 10000

func (s *server) outputTask(ctx context.Context, project, tmpl int64, n int) (outputResult, error) {
	r := outputResult{lines: n, pageLines: pageLines}
	t0 := time.Now()
	t, err := s.post(ctx, project, tmpl, fmt.Sprintf(`["%d"]`, n))
	if err != nil {
		return r, err
	}
	t, err = s.wait(ctx, project, t.ID, 5*time.Millisecond)
	r.total = time.Since(t0)
	if err != nil {
		return r, err
	}
	r.status = t.Status
	if t.Start != nil && t.End != nil {
		r.run = t.End.Sub(*t.Start)
	}
	// Read every page right after the final status: every line must be there.
	t1 := time.Now()
	next, after := 1, int64(0)
	for {
		var page []outputLine
		if err := s.call(ctx, "GET", fmt.Sprintf("/api/project/%d/tasks/%d/output?offset=%d&limit=%d", project, t.ID, after, pageLines), nil, 200, &page); err != nil {
			return r, err
		}
		if len(page) == 0 {
			break
		}
		for _, l := range page {
			if next <= n && l.Output == expectedLine(next) {
				next++
			} else if !strings.HasPrefix(l.Output, "line ") {
				// Lines of the runner itself, none expected on success.
				r.bad++
			} else {
				r.bad++
			}
			after = l.Seq
		}
	}
	r.readTime = time.Since(t1)
	r.lost = n - (next - 1)
	return r, nil
}

func (s *server) dispatchOnce(ctx context.Context, project, tmpl int64) (time.Duration, time.Duration, error) {
	t0 := time.Now()
	t, err := s.post(ctx, project, tmpl, "")
	if err != nil {
		return 0, 0, err
	}
	t, err = s.wait(ctx, project, t.ID, 2*time.Millisecond)
	if err != nil {
		return 0, 0, err
	}
	var page []outputLine
	if err := s.call(ctx, "GET", fmt.Sprintf("/api/project/%d/tasks/%d/output", project, t.ID), nil, 200, &page); err != nil {
		return 0, 0, err
	}
	if len(page) == 0 {
		return 0, 0, fmt.Errorf("task %d printed nothing", t.ID)
	}
	v := strings.Replace(strings.TrimSpace(page[0].Output), ",", ".", 1)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("task %d printed %q, not a time", t.ID, v)
	}
	started := time.Unix(0, int64(f*1e9))
	var srv time.Duration
	if t.Start != nil {
		srv = t.Start.Sub(t.Created)
	}
	return started.Sub(t0), srv, nil
}

func (s *server) burst(ctx context.Context, project, tmpl int64, n int) (time.Duration, error) {
	t0 := time.Now()
	ids := make([]int64, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			t, err := s.post(ctx, project, tmpl, "")
			ids[i] = t.ID
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return 0, err
		}
	}
	for _, id := range ids {
		t, err := s.wait(ctx, project, id, 5*time.Millisecond)
		if err != nil {
			return 0, err
		}
		if t.Status != "success" {
			return 0, fmt.Errorf("task %d ended %s: %s", id, t.Status, t.Message)
		}
	}
	return time.Since(t0), nil
}

// seed creates n waiting tasks through the API, 16 at a time.
func (s *server) seed(ctx context.Context, project, tmpl int64, n int) error {
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if _, err := s.post(ctx, project, tmpl, ""); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	return nil
}

func (s *server) loadGET(ctx context.Context, path string, conc, total int) (p50, p99, cpu time.Duration, err error) {
	var next atomic.Int64
	lat := make([]time.Duration, total)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	// Warm up.
	for range 20 {
		if err := s.call(ctx, "GET", path, nil, 200, nil); err != nil {
			return 0, 0, 0, err
		}
	}
	cpu0 := cpuTime(s.cmd.Process.Pid)
	for range conc {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(total) {
					return
				}
				t0 := time.Now()
				if err := s.call(ctx, "GET", path, nil, 200, nil); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	cpu = (cpuTime(s.cmd.Process.Pid) - cpu0) / time.Duration(total)
	if err, ok := firstErr.Load().(error); ok {
		return 0, 0, 0, err
	}
	return pct(lat, 50), pct(lat, 99), cpu, nil
}

// cpuTime returns the user+system CPU time of a process.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	st := string(b)
	f := strings.Fields(st[strings.LastIndexByte(st, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

// rss returns the VmRSS of a process in KiB, 0 if unknown.
func rss(pid int) int64 { return status(pid, "VmRSS") }

// rssParts returns a process's anonymous and file-backed resident memory
// in KiB: the heap and stacks, and the pages of its binary mapped in.
func rssParts(pid int) (anon, file int64) {
	return status(pid, "RssAnon"), status(pid, "RssFile")
}

// status returns a "kB" field of /proc/<pid>/status, 0 if unknown.
func status(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// pluginRSS returns the largest VmRSS among the executor plugins (children
// of pid running a signalbox-plugin-* binary but a storage plugin, whose
// RSS counts the pages of its mapped database file: see storageRSS).
func pluginRSS(pid int) int64 { return rss(childPID(pid, false)) }

// storageRSS returns the VmRSS of the storage plugin, if there is one.
func storageRSS(pid int) int64 { return rss(childPID(pid, true)) }

// childPID returns the plugin child of pid with the largest VmRSS among
// the executor plugins (storage false) or the storage plugins; 0 if none.
func childPID(pid int, storage bool) int {
	ents, _ := os.ReadDir("/proc")
	var best int64
	bestPID := 0
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		st := string(b)
		open, closeP := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if open < 0 || closeP < 0 {
			continue
		}
		comm := st[open+1 : closeP]
		f := strings.Fields(st[closeP+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(pid) || !strings.HasPrefix(comm, "signalbox-plugi") {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", child))
		if strings.Contains(string(cmdline), "signalbox-plugin-storage-") != storage {
			continue
		}
		if r := rss(child); r > best {
			best, bestPID = r, child
		}
	}
	return bestPID
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func printTable(w io.Writer, o options, rs []*result) {
	if len(rs) == 0 {
		return
	}
	row := func(name string, f func(r *result) string) {
		fmt.Fprintf(w, "| %-52s |", name)
		for _, r := range rs {
			fmt.Fprintf(w, " %-22s |", f(r))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n| %-52s |", "measure")
	for _, r := range rs {
		fmt.Fprintf(w, " %-22s |", r.store)
	}
	fmt.Fprintf(w, "\n|%s|", strings.Repeat("-", 54))
	for range rs {
		fmt.Fprintf(w, "%s|", strings.Repeat("-", 24))
	}
	fmt.Fprintln(w)
	row("cold start to /api/ping (empty DB)", func(r *result) string { return ms(r.coldStart) })
	for i := range rs[0].outputs {
		n := rs[0].outputs[i].lines
		get := func(r *result) *outputResult {
			if i < len(r.outputs) {
				return &r.outputs[i]
			}
			return nil
		}
		row(fmt.Sprintf("%d lines: POST → final status", n), func(r *result) string {
			if x := get(r); x != nil {
				return fmt.Sprintf("%s (%s)", ms(x.total), x.status)
			}
			return "-"
		})
		row(fmt.Sprintf("%d lines: lines/s (POST → final)", n), func(r *result) string {
			if x := get(r); x != nil {
				return fmt.Sprintf("%.0f", float64(x.lines)/x.total.Seconds())
			}
			return "-"
		})
		row(fmt.Sprintf("%d lines: lines/s (task start → end)", n), func(r *result) string {
			if x := get(r); x != nil && x.run > 0 {
				return fmt.Sprintf("%.0f", float64(x.lines)/x.run.Seconds())
			}
			return "-"
		})
		row(fmt.Sprintf("%d lines: lost / wrong", n), func(r *result) string {
			if x := get(r); x != nil {
				return fmt.Sprintf("%d / %d", x.lost, x.bad)
			}
			return "-"
		})
		row(fmt.Sprintf("%d lines: read all, pages of %d", n, pageLines), func(r *result) string {
			if x := get(r); x != nil {
				return ms(x.readTime)
			}
			return "-"
		})
	}
	row("bytes stored per line (DB size / lines)", func(r *result) string {
		if r.storedLines == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", float64(r.dbBytes)/float64(r.storedLines))
	})
	row(fmt.Sprintf("dispatch POST → script start p50 (n=%d)", o.dispatch), func(r *result) string { return ms(r.dispatchP50) })
	row(fmt.Sprintf("dispatch POST → script start p95 (n=%d)", o.dispatch), func(r *result) string { return ms(r.dispatchP95) })
	row("dispatch created → start field p50", func(r *result) string { return ms(r.dispatchSrv) })
	row(fmt.Sprintf("%d trivial tasks, 10 slots: total", o.burst), func(r *result) string { return ms(r.burstTime) })
	row(fmt.Sprintf("%d trivial tasks, 10 slots: tasks/s", o.burst), func(r *result) string {
		if r.burstTime == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f", float64(r.burstN)/r.burstTime.Seconds())
	})
	if o.seed > 0 {
		row(fmt.Sprintf("seed %d tasks via API (16 conns)", o.seed), func(r *result) string {
			if r.seedTime == 0 {
				return "-"
			}
			return fmt.Sprintf("%s (%.0f/s)", ms(r.seedTime), float64(r.seeded)/r.seedTime.Seconds())
		})
		row("GET tasks?limit=50, conc 16: p50 / p99", func(r *result) string { return ms(r.tasksP50) + " / " + ms(r.tasksP99) })
		row("GET templates, conc 16: p50 / p99", func(r *result) string { return ms(r.tmplP50) + " / " + ms(r.tmplP99) })
		row("server CPU per request: tasks / templates", func(r *result) string { return ms(r.tasksCPU) + " / " + ms(r.tmplCPU) })
	}
	row("server RSS idle (after start)", func(r *result) string { return mib(r.rssIdle) })
	row("server RSS idle (after the load)", func(r *result) string { return mib(r.rssIdleAfter) })
	row("server RSS idle after start: anon / file", func(r *result) string {
		return mib(r.rssIdleAnon) + " / " + mib(r.rssIdleFile)
	})
	row("plugin RSS idle", func(r *result) string { return mib(r.pluginIdle) })
	row("plugin RSS idle: anon / file", func(r *result) string {
		return mib(r.pluginIdleAnon) + " / " + mib(r.pluginIdleFile)
	})
	row("storage plugin RSS idle (with its mapped file)", func(r *result) string {
		if r.storageIdle == 0 {
			return "-"
		}
		return mib(r.storageIdle)
	})
	row("server RSS peak, largest output task", func(r *result) string { return mib(r.rssPeak) })
	row("plugin RSS peak, largest output task", func(r *result) string { return mib(r.pluginPeak) })
}
