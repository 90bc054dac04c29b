// Package docs embeds the documents the programs serve: the OpenAPI
// description of the API (openapi.yaml, the machine-readable form of
// api.md), which `zupy emulator start` serves at /_emulator/openapi.yaml and
// the tests validate every exchange with the emulator against. The file
// lives here, beside the prose, rather than under the package that serves
// it, because go:embed reads only files under its package's directory.
package docs

import _ "embed"

// OpenAPIYAML is docs/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
