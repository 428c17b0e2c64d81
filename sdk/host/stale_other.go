//go:build !unix

package host

func removeStaleSocketDirs(string) {}
