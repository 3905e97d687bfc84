//go:build tools

// Package tools pins kwok's main package so go.sum covers it.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
