// Command signalbox-plugin-ansible is the built-in Ansible executor plugin:
// it runs an Ansible playbook from a task's repository with
// ansible-playbook. See docs/plugins.md, "The built-in Ansible plugin".
package main

import "github.com/signalbox/signalbox/sdk/executor"

func main() { executor.Serve(New()) }
