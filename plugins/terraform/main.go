// Command signalbox-plugin-terraform is the built-in Terraform and OpenTofu
// executor plugin: it plans a module of a task's repository, asks for
// approval of the plan, and applies exactly that plan. See docs/plugins.md,
// "The built-in Terraform plugin".
package main

import "github.com/signalbox/signalbox/sdk/executor"

func main() { executor.Serve(New()) }
