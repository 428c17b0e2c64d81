package workspace

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Env is a task's environment in KEY=VALUE form. It keeps its order: a
// variable set again keeps its place. It is not safe for concurrent use.
type Env struct {
	vars  []string
	index map[string]int
	// base are the names of the initial environment.
	base map[string]bool
}

// NewEnv returns an environment holding base (KEY=VALUE entries, such as
// PluginEnviron's).
func NewEnv(base []string) *Env {
	e := &Env{index: map[string]int{}, base: map[string]bool{}}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			e.Set(k, v)
			e.base[k] = true
		}
	}
	return e
}

// Get returns a variable's value and whether it is set.
func (e *Env) Get(k string) (string, bool) {
	i, ok := e.index[k]
	if !ok {
		return "", false
	}
	_, v, _ := strings.Cut(e.vars[i], "=")
	return v, true
}

// Has reports whether a variable is set.
func (e *Env) Has(k string) bool { _, ok := e.index[k]; return ok }

// FromBase reports whether a variable came with the initial environment.
func (e *Env) FromBase(k string) bool { return e.base[k] }

// Set sets a variable.
func (e *Env) Set(k, v string) {
	if i, ok := e.index[k]; ok {
		e.vars[i] = k + "=" + v
		return
	}
	e.index[k] = len(e.vars)
	e.vars = append(e.vars, k+"="+v)
}

// SetAll sets vars in the order of their names, after checking that they
// can be environment variables. what names the layer in errors, such as
// "env".
func (e *Env) SetAll(what string, vars map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		v := vars[k]
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return fmt.Errorf("%s %q: invalid environment variable", what, k)
		}
		e.Set(k, v)
	}
	return nil
}

// PrependPath sets k to dir followed by the current value of k, or by
// fallback when k is not set: a search path where dir comes first.
func (e *Env) PrependPath(k, dir, fallback string) {
	rest, ok := e.Get(k)
	if !ok || rest == "" {
		rest = fallback
	}
	e.Set(k, dir+":"+rest)
}

// List returns the environment in KEY=VALUE form, in order. The slice is
// the Env's own: clone it before the Env changes again.
func (e *Env) List() []string { return e.vars }
