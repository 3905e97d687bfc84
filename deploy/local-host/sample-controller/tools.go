//go:build tools

// Pins k8s.io/sample-controller (an operator whose custom resource owns a Deployment) at the
// host's Kubernetes version; built by test/integration/virtual-owners.test.ts into the cache.
package tools

import _ "k8s.io/sample-controller"
