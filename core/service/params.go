package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/signalbox/signalbox/core/model"
)

// The JSON Schema dialects the server checks parameters with. Plugins
// write 2020-12 (docs/plugins.md); draft-07 is understood too. A schema
// in another dialect is not checked by the server (the plugin still
// validates in Run).
var schemaDialects = map[string]bool{
	"": true, // 2020-12
	"https://json-schema.org/draft/2020-12/schema":  true,
	"https://json-schema.org/draft/2020-12/schema#": true,
	"http://json-schema.org/draft-07/schema":        true,
	"http://json-schema.org/draft-07/schema#":       true,
}

// schemas compiles and caches the JSON Schemas executor plugins describe.
type schemas struct {
	mu    sync.Mutex
	cache map[string]*jsonschema.Resolved
}

func (s *schemas) compile(schema string) (*jsonschema.Resolved, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.cache[schema]; ok {
		return sch, nil
	}
	var doc jsonschema.Schema
	if err := json.Unmarshal([]byte(schema), &doc); err != nil {
		return nil, err
	}
	if !schemaDialects[doc.Schema] {
		return nil, fmt.Errorf("unsupported $schema %q (want draft 2020-12 or draft-07)", doc.Schema)
	}
	sch, err := doc.Resolve(nil)
	if err != nil {
		return nil, err
	}
	if s.cache == nil {
		s.cache = map[string]*jsonschema.Resolved{}
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
		s.log.Warn("plugin describes a JSON Schema the server cannot use; parameters not checked", "app", app, "error", err)
		return nil
	}
	var inst any
	if err := json.Unmarshal([]byte(params), &inst); err != nil {
		return model.Invalidf("%s must be a JSON object: %v", what, err)
	}
	if err := sch.Validate(inst); err != nil {
		return model.Invalidf("%s do not fit app %q: %s", what, app, oneLine(err))
	}
	return nil
}

// oneLine shortens a validation error, which names every schema it went
// through ("validating root: validating /properties/a: minimum: …"), to
// the innermost schema and what is wrong there.
func oneLine(err error) string {
	msg := strings.TrimPrefix(err.Error(), "validating root: ")
	at := ""
	for strings.HasPrefix(msg, "validating ") {
		rest := strings.TrimPrefix(msg, "validating ")
		i := strings.Index(rest, ": ")
		if i < 0 {
			break
		}
		at, msg = rest[:i], rest[i+2:]
	}
	if at != "" {
		return "at " + at + ": " + msg
	}
	return msg
}
