package service

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/signalbox/signalbox/core/model"
)

// schemas compiles and caches the JSON Schemas executor plugins describe.
type schemas struct {
	mu    sync.Mutex
	cache map[string]*jsonschema.Schema
}

func (s *schemas) compile(schema string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.cache[schema]; ok {
		return sch, nil
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("plugin-schema.json", doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile("plugin-schema.json")
	if err != nil {
		return nil, err
	}
	if s.cache == nil {
		s.cache = map[string]*jsonschema.Schema{}
	}
	s.cache[schema] = sch
	return sch, nil
}

// validateParams checks app parameters (a JSON object, or empty) against
// the schema the app's plugin describes. what names them in errors.
func (s *Services) validateParams(ctx context.Context, app, what, params string, pick func(App) string) error {
	if strings.TrimSpace(params) == "" || s.apps == nil {
		return nil
	}
	a, ok := s.apps.Apps(ctx)[app]
	if !ok {
		return nil
	}
	schema := pick(a)
	if strings.TrimSpace(schema) == "" {
		return nil
	}
	sch, err := s.schemas.compile(schema)
	if err != nil {
		s.log.Warn("plugin describes an invalid JSON Schema; parameters not checked", "app", app, "error", err)
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(params))
	if err != nil {
		return model.Invalidf("%s must be a JSON object: %v", what, err)
	}
	if err := sch.Validate(inst); err != nil {
		return model.Invalidf("%s do not fit app %q: %s", what, app, oneLine(err))
	}
	return nil
}

// oneLine flattens a validation error's tree to one readable line.
func oneLine(err error) string {
	if ve, ok := err.(*jsonschema.ValidationError); ok {
		var parts []string
		var walk func(e *jsonschema.ValidationError)
		walk = func(e *jsonschema.ValidationError) {
			if len(e.Causes) == 0 {
				loc := "/" + strings.Join(e.InstanceLocation, "/")
				parts = append(parts, fmt.Sprintf("%s: %s", loc, e.ErrorKind))
			}
			for _, c := range e.Causes {
				walk(c)
			}
		}
		walk(ve)
		return strings.Join(parts, "; ")
	}
	return err.Error()
}
