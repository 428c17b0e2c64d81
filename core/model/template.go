package model

// Template says what a task runs: an app, an entry point in a repository,
// an inventory and an environment.
type Template struct {
	ID            int64
	ProjectID     int64
	Name          string
	Description   string
	App           string
	Playbook      string
	RepositoryID  int64
	InventoryID   *int64
	EnvironmentID *int64
	ViewID        *int64
	// Arguments is a JSON array of strings, or empty.
	Arguments               string
	AllowOverrideArgsInTask bool
	SuppressSuccessAlerts   bool
	GitBranch               string
	Limit                   string
	// TimeoutSeconds stops a task that runs longer; 0 means no limit.
	TimeoutSeconds int
	// Params is a JSON object of app-specific template parameters.
	Params string
	// SurveyVars is a JSON array of survey variable definitions.
	SurveyVars string
	Type       string
}
