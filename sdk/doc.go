// Package sdk is the Signalbox plugin SDK.
//
// A plugin is a separate program that the Signalbox server starts and talks
// to over gRPC (HashiCorp go-plugin). To write one:
//
//  1. Pick a protocol: package executor runs tasks for app types.
//  2. Implement its Go interface (executor.Executor).
//  3. Call executor.Serve from main.
//  4. Test it in-process with package plugintest, and with the conformance
//     suite plugintest.ExecutorConformance.
//
// Name the binary signalbox-plugin-<name> and put it in the server's plugins
// directory. See docs/plugins.md in the repository for a full guide.
//
// This module never imports the server; the generated protobuf code is
// internal, so plugins depend only on the Go types here.
package sdk
