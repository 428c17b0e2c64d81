package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// defaultEnv are the variables the plugin sets for Ansible unless the
// task's Env sets them.
var defaultEnv = map[string]string{
	// Keep Ansible's colours: the output is shown in a terminal-like view.
	"ANSIBLE_FORCE_COLOR": "1",
	// Hosts are new to a fresh server; set it to True in the template's
	// environment to check host keys.
	"ANSIBLE_HOST_KEY_CHECKING": "False",
	// An inventory that does not parse fails the task, rather than
	// running the playbook on no host at all.
	"ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
}

// envList is an environment in KEY=VALUE form that keeps its order: a
// variable set again keeps its place.
type envList struct {
	vars  []string
	index map[string]int
}

func newEnvList(base []string) *envList {
	e := &envList{index: map[string]int{}}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			e.set(k, v)
		}
	}
	return e
}

func (e *envList) get(k string) (string, bool) {
	i, ok := e.index[k]
	if !ok {
		return "", false
	}
	_, v, _ := strings.Cut(e.vars[i], "=")
	return v, true
}

func (e *envList) set(k, v string) {
	if i, ok := e.index[k]; ok {
		e.vars[i] = k + "=" + v
		return
	}
	e.index[k] = len(e.vars)
	e.vars = append(e.vars, k+"="+v)
}

// setAll sets vars in the order of their names, after checking that they
// can be environment variables. what names the layer in errors.
func (e *envList) setAll(what string, vars map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		v := vars[k]
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return fmt.Errorf("%s %q: invalid environment variable", what, k)
		}
		e.set(k, v)
	}
	return nil
}

// prependPath sets k to dir followed by the current value of k, or by
// fallback when k is not set: a search path where dir comes first.
func (e *envList) prependPath(k, dir, fallback string) {
	rest, ok := e.get(k)
	if !ok || rest == "" {
		rest = fallback
	}
	e.set(k, dir+":"+rest)
}
