// Package secretbox keeps secrets encrypted at rest and out of task output.
//
// A Box seals values with AES-256-GCM under one of several named keys. Each
// sealed blob says which key sealed it, so keys can rotate: add a new key,
// make it primary, and old blobs still open with the key that sealed them
// while new ones use the primary. Re-sealing old blobs is up to the caller.
//
// Blob format, version 1 (all of it before the nonce is authenticated as
// associated data, so changing the version or the key ID breaks the tag):
//
//	offset  size  field
//	0       1     version (1)
//	1       1     n, the length of the key ID (1–64)
//	2       n     key ID (ASCII letters, digits, '.', '_' or '-')
//	2+n     12    random nonce
//	14+n    rest  ciphertext followed by the 16-byte GCM tag
//
// Key file format (LoadOrCreateKeyFile): UTF-8 text, one key line, where
// blank lines and lines starting with '#' are ignored. The key line is
//
//	[<id>:]<base64 of 32 bytes>
//
// in standard or URL base64, padded or not. Without an id, the key's ID is
// KeyID(key), derived from the key itself, so it stays stable.
//
// A Redactor replaces known secret values in text (task output, plugin
// errors) with "********".
//
// Errors from this package never contain plaintext or key material.
package secretbox
