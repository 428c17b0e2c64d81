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
	// Type is "" (a plain task), "build" or "deploy".
	Type string
	// StartVersion is the version of a build template's first build; later
	// builds increment its last number.
	StartVersion string
	// BuildTemplateID is the build template whose builds a deploy template deploys.
	BuildTemplateID *int64
	// Autorun starts a deploy template after each successful build.
	Autorun bool
	// Vaults is a JSON array of the template's vault passwords:
	// [{"name": "<vault id>", "type": "password"|"script", "vault_key_id": N, "script": "path"}].
	Vaults string
}

// View is a tab that groups a project's templates.
type View struct {
	ID        int64
	ProjectID int64
	Title     string
	Position  int
}
