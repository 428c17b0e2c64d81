// Package sdk is the Signalbox plugin SDK.
//
// A plugin is a separate program that the Signalbox server starts and talks
// to over gRPC (HashiCorp go-plugin's protocol; plugins serve it with
// package plugin, hosts start them with package host). To write one:
//
//  1. Pick a protocol: package executor runs tasks for app types; package
//     storage keeps the server's data (an ordered key/value store).
//  2. Implement its Go interface (executor.Executor; storage.Plugin and
//     storage.Backend, modelled on storage/memory).
//  3. Call executor.Serve or storage.Serve from main.
//  4. Test it in-process with package plugintest, and with the conformance
//     suite plugintest.ExecutorConformance or plugintest.StorageConformance.
//
// Name the binary signalbox-plugin-<name> (signalbox-plugin-storage-<name>
// for a storage plugin) and put it in the server's plugins directory. See
// docs/plugins.md in the repository for a full guide.
//
// This module never imports the server; the generated protobuf code is
// internal, so plugins depend only on the Go types here.
package sdk
