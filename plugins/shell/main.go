// Command signalbox-plugin-shell is the built-in shell executor plugin: it
// runs Bash, POSIX shell, Python 3 and PowerShell scripts from a task's
// repository. See docs/plugins.md, "The built-in shell plugin".
package main

import "github.com/signalbox/signalbox/sdk/executor"

func main() { executor.Serve(New()) }
