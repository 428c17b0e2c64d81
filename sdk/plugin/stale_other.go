//go:build !unix

package plugin

func removeStaleSocketDirs(string) {}
