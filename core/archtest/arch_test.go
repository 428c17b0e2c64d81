package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/signalbox/signalbox"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listPackages runs go list over the given patterns from the repository root.
func listPackages(t *testing.T, dir string, patterns ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json=ImportPath,Imports,Deps"}, patterns...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// rule forbids packages matching from to depend (directly or not) on
// packages with one of the forbidden prefixes, except allowed ones.
type rule struct {
	from      string
	forbidden []string
	allowed   []string
	// except lists packages under from that the rule does not apply to.
	except []string
	direct bool
}

func TestDependencyRules(t *testing.T) {
	rules := map[string]rule{
		"plugins import only the sdk": {
			from: mod + "/plugins/", forbidden: []string{mod + "/"}, allowed: []string{mod + "/sdk"},
		},
		"plugin binaries never link go-plugin (plugin.Serve speaks its protocol)": {
			from: mod + "/plugins/", forbidden: []string{"github.com/hashicorp/go-plugin"},
		},
		"the sdk never imports the core": {
			from: mod + "/sdk", forbidden: []string{mod + "/core", mod + "/cmd", mod + "/plugins"},
		},
		"cmd imports only app and config of the core": {
			from: mod + "/cmd/", forbidden: []string{mod + "/core/"},
			allowed: []string{mod + "/core/app", mod + "/core/config", mod + "/core/service"}, direct: true,
		},
		"the api never reaches storage, plugins or the runner": {
			from: mod + "/core/api", forbidden: []string{mod + "/core/store", mod + "/core/pluginhost", mod + "/core/runner", "gorm.io/"},
			direct: true,
		},
		"services know nothing of HTTP": {
			from: mod + "/core/service", forbidden: []string{"github.com/gin-gonic/", "net/http"}, direct: true,
		},
		"services never reach gorm, the api, the runner or the plugin host": {
			from: mod + "/core/service", forbidden: []string{"gorm.io/", mod + "/core/store/sqlstore", mod + "/core/api", mod + "/core/runner", mod + "/core/pluginhost"},
		},
		"the runner never calls the api or the services": {
			from: mod + "/core/runner", forbidden: []string{mod + "/core/api", mod + "/core/service", mod + "/core/store/sqlstore", "gorm.io/"},
		},
		"the scheduler starts tasks through a narrow interface, not the services": {
			from: mod + "/core/scheduler", forbidden: []string{mod + "/core/api", mod + "/core/service", mod + "/core/runner", mod + "/core/store/sqlstore", "gorm.io/"},
		},
		"the plugin host never touches storage, api or services": {
			from: mod + "/core/pluginhost", forbidden: []string{mod + "/core/store", mod + "/core/api", mod + "/core/service"},
		},
		"the embedded web UI imports only the standard library": {
			from: mod + "/web", forbidden: []string{"github.com/", "golang.org/", "gorm.io/", "google.golang.org/", "gopkg.in/"},
		},
		"the model imports only the standard library": {
			from: mod + "/core/model", forbidden: []string{"github.com/", "golang.org/", "gorm.io/", "google.golang.org/", "gopkg.in/"},
		},
		"only app and storetest import sqlstore": {
			from: mod + "/core/", forbidden: []string{mod + "/core/store/sqlstore"},
			except: []string{mod + "/core/app", mod + "/core/store/storetest", mod + "/core/store/sqlstore"}, direct: true,
		},
	}
	pkgs := listPackages(t, "../..", "./...")
	pkgs = append(pkgs, listPackages(t, "../../sdk", "./...")...)
	for name, r := range rules {
		t.Run(name, func(t *testing.T) {
			checked := 0
			for _, p := range pkgs {
				if !strings.HasPrefix(p.ImportPath, r.from) || slices.Contains(r.except, p.ImportPath) {
					continue
				}
				checked++
				deps := p.Deps
				if r.direct {
					deps = p.Imports
				}
				for _, d := range deps {
					if violates(d, r) {
						t.Errorf("%s imports %s", p.ImportPath, d)
					}
				}
			}
			if checked == 0 {
				t.Fatalf("no package matches %s: the rule checks nothing", r.from)
			}
		})
	}
}

func violates(dep string, r rule) bool {
	for _, a := range r.allowed {
		if dep == a || strings.HasPrefix(dep, a+"/") {
			return false
		}
	}
	for _, f := range r.forbidden {
		if dep == strings.TrimSuffix(f, "/") || strings.HasPrefix(dep, f) {
			return true
		}
	}
	return false
}
