package service

import (
	"encoding/json"
	"strings"
	"testing"
)

// A schema in the shape the built-in plugins describe.
const testParamsSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "debug": {"type": "boolean"},
    "limit": {"type": "integer", "minimum": 1},
    "mode": {"enum": ["plan", "apply"]},
    "tags": {"type": "array", "items": {"type": "string"}},
    "name": {"type": "string", "pattern": "^[a-z]+$"}
  }
}`

func TestSchemas_Validate(t *testing.T) {
	var s schemas
	sch, err := s.compile(testParamsSchema)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		params  string
		wantErr string // "" for valid; else a part of the message
	}{
		"empty object":            {`{}`, ""},
		"every field":             {`{"debug":true,"limit":3,"mode":"plan","tags":["a"],"name":"abc"}`, ""},
		"unknown field":           {`{"bogus":1}`, `additional properties ["bogus"]`},
		"wrong type":              {`{"debug":"yes"}`, `at /properties/debug: type: yes has type "string", want "boolean"`},
		"below the minimum":       {`{"limit":0}`, `at /properties/limit: minimum:`},
		"a fraction for integer":  {`{"limit":1.5}`, `want "integer"`},
		"not in the enum":         {`{"mode":"destroy"}`, `at /properties/mode: enum:`},
		"wrong item type":         {`{"tags":[1]}`, `at /properties/tags/items: type:`},
		"pattern not matched":     {`{"name":"A1"}`, `pattern: "A1" does not match`},
		"an array, not an object": {`[1]`, `type: [1] has type "array", want "object"`},
	} {
		t.Run(name, func(t *testing.T) {
			var inst any
			if err := json.Unmarshal([]byte(tc.params), &inst); err != nil {
				t.Fatal(err)
			}
			err := sch.Validate(inst)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate(%s) = %v, want valid", tc.params, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate(%s) passed, want an error with %q", tc.params, tc.wantErr)
			}
			if msg := oneLine(err); !strings.Contains(msg, tc.wantErr) || strings.Contains(msg, "validating root") {
				t.Errorf("message %q, want it to contain %q (and no \"validating root\")", msg, tc.wantErr)
			}
		})
	}
}

func TestSchemas_Compile(t *testing.T) {
	for name, tc := range map[string]struct {
		schema string
		ok     bool
	}{
		"2020-12":               {testParamsSchema, true},
		"no $schema means 2020": {`{"type":"object"}`, true},
		"draft-07":              {`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}`, true},
		"draft-04 is not used":  {`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}`, false},
		"not JSON":              {`{`, false},
		"a dangling $ref":       {`{"type":"object","properties":{"a":{"$ref":"#/nope"}}}`, false},
	} {
		t.Run(name, func(t *testing.T) {
			var s schemas
			if _, err := s.compile(tc.schema); (err == nil) != tc.ok {
				t.Errorf("compile = %v, want ok %v", err, tc.ok)
			}
		})
	}
	var s schemas
	a, _ := s.compile(testParamsSchema)
	if b, _ := s.compile(testParamsSchema); a != b || a == nil {
		t.Error("the same schema compiled twice, want it cached")
	}
}
