package model

// KeyType is the kind of an access key.
type KeyType string

// The access key types.
const (
	KeyNone          KeyType = "none"
	KeyLoginPassword KeyType = "login_password"
	KeySSH           KeyType = "ssh"
)

// AccessKey is a credential. Its secret part is kept encrypted in Secret and
// never leaves the server through the API.
type AccessKey struct {
	ID        int64
	ProjectID int64
	Name      string
	Type      KeyType
	// Secret is the encrypted KeySecret (see package secretbox); nil for KeyNone.
	Secret []byte
}

// KeySecret is the decrypted secret part of an access key.
type KeySecret struct {
	Login      string `json:"login,omitempty"`
	Password   string `json:"password,omitempty"`
	PrivateKey string `json:"private_key,omitempty"`
	Passphrase string `json:"passphrase,omitempty"`
}

// Repository is where a template's code comes from: a git URL or a local folder.
type Repository struct {
	ID        int64
	ProjectID int64
	Name      string
	GitURL    string
	GitBranch string
	SSHKeyID  int64
}

// InventoryType is the kind of an inventory.
type InventoryType string

// The inventory types.
const (
	InventoryStatic     InventoryType = "static"
	InventoryStaticYAML InventoryType = "static-yaml"
	InventoryFile       InventoryType = "file"
	// InventoryTerraformWorkspace and InventoryTofuWorkspace name the
	// Terraform/OpenTofu workspace a template's tasks use, in Inventory.
	InventoryTerraformWorkspace InventoryType = "terraform-workspace"
	InventoryTofuWorkspace      InventoryType = "tofu-workspace"
)

// Inventory is a list of hosts, inline or as a file in the repository.
type Inventory struct {
	ID          int64
	ProjectID   int64
	Name        string
	Type        InventoryType
	Inventory   string
	SSHKeyID    *int64
	BecomeKeyID *int64
}

// Environment holds extra variables (JSON) and environment variables (JSON
// object of strings) for tasks.
type Environment struct {
	ID        int64
	ProjectID int64
	Name      string
	JSON      string
	Env       string
	Password  string
}

// SecretType says where an environment secret goes.
type SecretType string

// The environment secret types.
const (
	// SecretEnv becomes an environment variable of the task's processes.
	SecretEnv SecretType = "env"
	// SecretVar becomes an extra variable.
	SecretVar SecretType = "var"
)

// EnvironmentSecret is a secret of an environment. Its value is kept
// encrypted in Secret and never leaves the server through the API.
type EnvironmentSecret struct {
	ID            int64
	ProjectID     int64
	EnvironmentID int64
	Name          string
	Type          SecretType
	// Secret is the encrypted value (see package secretbox).
	Secret []byte
}
