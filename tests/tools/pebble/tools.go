//go:build tools

// Package tools pins the real Pebble that the tests run. The provisioning script installs it with
// `go install github.com/canonical/pebble/cmd/pebble` from this module, so go.sum verifies it.
// (`go install ...@v1.32.1` outside a module fails on this network: the proxy refuses the module's
// version list, which that form reads for deprecation notices.)
package tools

import _ "github.com/canonical/pebble/cmd/pebble"
