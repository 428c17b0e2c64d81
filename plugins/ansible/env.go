package main

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
