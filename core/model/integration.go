package model

// IntegrationAuthMethod says how an integration authenticates the webhooks
// it receives.
type IntegrationAuthMethod string

// The integration authentication methods.
const (
	// IntegrationAuthNone accepts every request.
	IntegrationAuthNone IntegrationAuthMethod = "none"
	// IntegrationAuthToken wants the secret token in the integration's
	// AuthHeader.
	IntegrationAuthToken IntegrationAuthMethod = "token"
	// IntegrationAuthHMAC wants the hex HMAC-SHA256 of the body, keyed with
	// the secret, in the integration's AuthHeader ("sha256=" prefix optional).
	IntegrationAuthHMAC IntegrationAuthMethod = "hmac"
	// IntegrationAuthGitHub wants GitHub's signature header,
	// X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>.
	IntegrationAuthGitHub IntegrationAuthMethod = "github"
	// IntegrationAuthGitLab wants GitLab's X-Gitlab-Token header.
	IntegrationAuthGitLab IntegrationAuthMethod = "gitlab"
	// IntegrationAuthBasic wants HTTP basic authentication.
	IntegrationAuthBasic IntegrationAuthMethod = "basic"
)

// Valid reports whether m is a known method.
func (m IntegrationAuthMethod) Valid() bool {
	switch m {
	case IntegrationAuthNone, IntegrationAuthToken, IntegrationAuthHMAC,
		IntegrationAuthGitHub, IntegrationAuthGitLab, IntegrationAuthBasic:
		return true
	}
	return false
}

// NeedsSecret reports whether the method checks a secret.
func (m IntegrationAuthMethod) NeedsSecret() bool { return m.Valid() && m != IntegrationAuthNone }

// UsesHeader reports whether the method reads the integration's AuthHeader.
func (m IntegrationAuthMethod) UsesHeader() bool {
	return m == IntegrationAuthToken || m == IntegrationAuthHMAC
}

// Integration receives webhooks and starts a task of its template for
// each request that authenticates and matches all its matchers.
type Integration struct {
	ID         int64
	ProjectID  int64
	Name       string
	TemplateID int64
	AuthMethod IntegrationAuthMethod
	// AuthHeader is the header the token or HMAC signature comes in, for
	// the token and hmac methods; empty for the others.
	AuthHeader string
	// AuthSecret is the encrypted IntegrationSecret (see package
	// secretbox); nil for the none method. It never leaves the server.
	AuthSecret []byte
	// Searchable makes the integration answer the project's aliases, when
	// its matchers match the request.
	Searchable bool
	// TaskParams is a JSON object of app-specific task parameters that
	// every task it starts gets, under the values it extracts; may be empty.
	TaskParams string
}

// IntegrationSecret is the decrypted secret of an integration: Secret is
// the token or HMAC key; Login and Secret are the basic credentials.
type IntegrationSecret struct {
	Login  string `json:"login,omitempty"`
	Secret string `json:"secret,omitempty"`
}

// IntegrationMatchType says what part of a request a matcher reads.
type IntegrationMatchType string

// The match types; an extract value's ValueSource takes the same values.
const (
	IntegrationMatchBody   IntegrationMatchType = "body"
	IntegrationMatchHeader IntegrationMatchType = "header"
)

// IntegrationMatchMethod compares the value a matcher reads with its Value.
type IntegrationMatchMethod string

// The match methods.
const (
	IntegrationMatchEquals   IntegrationMatchMethod = "equals"
	IntegrationMatchUnequals IntegrationMatchMethod = "unequals"
	IntegrationMatchContains IntegrationMatchMethod = "contains"
)

// IntegrationBodyDataType says how to read a request body.
type IntegrationBodyDataType string

// The body data types.
const (
	// IntegrationBodyJSON reads a dotted path (commits.0.author.name).
	IntegrationBodyJSON IntegrationBodyDataType = "json"
	// IntegrationBodyXML reads a dotted path of elements from the root
	// (push.ref), the last of which may be an attribute (push.@id).
	IntegrationBodyXML IntegrationBodyDataType = "xml"
	// IntegrationBodyString reads the whole body.
	IntegrationBodyString IntegrationBodyDataType = "string"
)

// IntegrationMatcher is a condition on a request: an integration starts a
// task only if all its matchers match.
type IntegrationMatcher struct {
	ID            int64
	IntegrationID int64
	Name          string
	MatchType     IntegrationMatchType
	Method        IntegrationMatchMethod
	// BodyDataType says how to read a body; a header is read as a string.
	BodyDataType IntegrationBodyDataType
	// Key is the header name or the body path; empty for a string body.
	Key   string
	Value string
}

// IntegrationVariableType says where an extracted value goes.
type IntegrationVariableType string

// The variable types.
const (
	// IntegrationVariableEnvironment puts the value among the task's extra
	// variables (its environment JSON).
	IntegrationVariableEnvironment IntegrationVariableType = "environment"
	// IntegrationVariableTask puts the value among the task's parameters.
	IntegrationVariableTask IntegrationVariableType = "task"
)

// IntegrationExtractValue takes a value from a request into the task it
// starts.
type IntegrationExtractValue struct {
	ID            int64
	IntegrationID int64
	Name          string
	ValueSource   IntegrationMatchType
	// BodyDataType says how to read a body; a header is read as a string.
	BodyDataType IntegrationBodyDataType
	// Key is the header name or the body path; empty for a string body.
	Key          string
	Variable     string
	VariableType IntegrationVariableType
}

// IntegrationAlias is a public address of webhooks:
// POST /api/integrations/{Alias}. An alias of one integration reaches it;
// a project alias (IntegrationID 0) reaches every searchable integration of
// the project whose matchers match.
type IntegrationAlias struct {
	ID        int64
	ProjectID int64
	// IntegrationID is 0 for a project alias.
	IntegrationID int64
	// Alias is a random URL-safe string, unique among all projects.
	Alias string
}
