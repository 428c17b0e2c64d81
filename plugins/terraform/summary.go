package main

import (
	"encoding/json"
	"fmt"
	"slices"
)

// maxListed bounds the resources listed in a summary.
const maxListed = 200

// summary is the JSON summary of a plan: shown when the plan waits for
// confirmation, and as the task's summary.
type summary struct {
	Tool      string `json:"tool"`
	Workspace string `json:"workspace"`
	// DestroyPlan is set for a plan -destroy.
	DestroyPlan bool `json:"destroy_plan,omitempty"`
	Add         int  `json:"add"`
	Change      int  `json:"change"`
	// Destroy counts the resources the plan destroys.
	Destroy int `json:"destroy"`
	// Resources are the changing resources, up to maxListed.
	Resources []resourceChange `json:"resources,omitempty"`
	// Applied is set once the plan has been applied.
	Applied bool `json:"applied"`
}

// resourceChange is one changing resource of a plan.
type resourceChange struct {
	Address string `json:"address"`
	// Action is create, update, delete or replace.
	Action string `json:"action"`
}

func (s summary) json() json.RawMessage {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // plain types
	}
	return b
}

// count adds the resource changes of a plan in `show -json` form.
func (s *summary) count(planJSON []byte) error {
	var p struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(planJSON, &p); err != nil {
		return fmt.Errorf("parse the plan: %w", err)
	}
	for _, rc := range p.ResourceChanges {
		a := rc.Change.Actions
		action := ""
		switch {
		case slices.Equal(a, []string{"create"}):
			s.Add++
			action = "create"
		case slices.Equal(a, []string{"update"}):
			s.Change++
			action = "update"
		case slices.Equal(a, []string{"delete"}):
			s.Destroy++
			action = "delete"
		case slices.Contains(a, "create") && slices.Contains(a, "delete"):
			s.Add++
			s.Destroy++
			action = "replace"
		default: // no-op, read
			continue
		}
		if len(s.Resources) < maxListed {
			s.Resources = append(s.Resources, resourceChange{Address: rc.Address, Action: action})
		}
	}
	return nil
}
