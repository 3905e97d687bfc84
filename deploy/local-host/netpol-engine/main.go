// netpol-engine evaluates NetworkPolicies with an independent engine (cyclonus's pkg/matcher),
// so kplex's isolation is proven by semantics it did not write (test/integration/network-policy-engine.test.ts).
// Reads one JSON object on stdin:
//
//	{"namespaces": NamespaceList, "pods": PodList, "policies": NetworkPolicyList,
//	 "probes": [{"from": "<ns>/<pod>" | "<ip>", "to": "<ns>/<pod>" | "<ip>", "port": 80, "protocol": "TCP"}]}
//
// and prints one JSON array, per probe {"allowed", "ingress", "egress"}. A pod is matched by its
// labels and its namespace's labels; a bare IP is a peer outside the cluster (a node, the metadata
// service, kplex).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

type probe struct {
	From     string      `json:"from"`
	To       string      `json:"to"`
	Port     int         `json:"port"`
	Protocol v1.Protocol `json:"protocol"`
}

type input struct {
	Namespaces v1.NamespaceList               `json:"namespaces"`
	Pods       v1.PodList                     `json:"pods"`
	Policies   networkingv1.NetworkPolicyList `json:"policies"`
	Probes     []probe                        `json:"probes"`
}

type result struct {
	Allowed bool `json:"allowed"`
	Ingress bool `json:"ingress"`
	Egress  bool `json:"egress"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("reading the input: %v", err)
	}
	nsLabels := map[string]map[string]string{}
	for _, ns := range in.Namespaces.Items {
		nsLabels[ns.Name] = ns.Labels
	}
	pods := map[string]*matcher.TrafficPeer{}
	for _, p := range in.Pods.Items {
		if p.Status.PodIP == "" {
			fail("pod %s/%s has no IP yet", p.Namespace, p.Name)
		}
		pods[p.Namespace+"/"+p.Name] = &matcher.TrafficPeer{
			IP:       p.Status.PodIP,
			Internal: &matcher.InternalPeer{Namespace: p.Namespace, PodLabels: p.Labels, NamespaceLabels: nsLabels[p.Namespace]},
		}
	}
	policies := make([]*networkingv1.NetworkPolicy, 0, len(in.Policies.Items))
	for i := range in.Policies.Items {
		policies = append(policies, &in.Policies.Items[i])
	}
	engine := matcher.BuildNetworkPolicies(false, policies)

	peer := func(ref string) *matcher.TrafficPeer {
		if strings.Contains(ref, "/") {
			p, ok := pods[ref]
			if !ok {
				fail("unknown pod %s", ref)
			}
			return p
		}
		return &matcher.TrafficPeer{IP: ref}
	}
	out := make([]result, 0, len(in.Probes))
	for _, pr := range in.Probes {
		if pr.Protocol == "" {
			pr.Protocol = v1.ProtocolTCP
		}
		r := engine.IsTrafficAllowed(&matcher.Traffic{
			Source: peer(pr.From), Destination: peer(pr.To), ResolvedPort: pr.Port, Protocol: pr.Protocol,
		})
		out = append(out, result{Allowed: r.IsAllowed(), Ingress: r.Ingress.IsAllowed(), Egress: r.Egress.IsAllowed()})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing the result: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "netpol-engine: "+format+"\n", args...)
	os.Exit(2)
}
