// Command netpol-check evaluates flows against NetworkPolicies with cyclonus's policy matcher
// (github.com/mattfenwick/cyclonus/pkg/matcher), an engine that is not ours: it reads
//
//	{"policies": [NetworkPolicy, ...], "flows": [{"name", "from": peer, "to": peer, "port", "protocol"}]}
//
// on stdin, where a peer is {"ip", "namespace", "namespaceLabels", "podLabels"} (namespace empty: outside the
// cluster, ip only), and prints one verdict per flow: allowed, and by which policies each direction was decided.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

type peer struct {
	IP              string            `json:"ip"`
	Namespace       string            `json:"namespace"`
	NamespaceLabels map[string]string `json:"namespaceLabels"`
	PodLabels       map[string]string `json:"podLabels"`
}

type flow struct {
	Name     string `json:"name"`
	From     peer   `json:"from"`
	To       peer   `json:"to"`
	Port     int    `json:"port"`
	PortName string `json:"portName"`
	Protocol string `json:"protocol"`
}

type input struct {
	Policies []*networkingv1.NetworkPolicy `json:"policies"`
	Flows    []flow                        `json:"flows"`
}

type verdict struct {
	Name      string   `json:"name"`
	Allowed   bool     `json:"allowed"`
	Egress    bool     `json:"egress"`
	Ingress   bool     `json:"ingress"`
	EgressBy  []string `json:"egressBy"`
	IngressBy []string `json:"ingressBy"`
}

func trafficPeer(p peer) *matcher.TrafficPeer {
	if p.Namespace == "" {
		return &matcher.TrafficPeer{IP: p.IP}
	}
	nsLabels := map[string]string{"kubernetes.io/metadata.name": p.Namespace}
	for k, v := range p.NamespaceLabels {
		nsLabels[k] = v
	}
	return &matcher.TrafficPeer{IP: p.IP, Internal: &matcher.InternalPeer{
		Namespace: p.Namespace, NamespaceLabels: nsLabels, PodLabels: p.PodLabels}}
}

// names of the policies behind the targets that decided a direction: those allowing it, else those denying it.
func names(result *matcher.DirectionResult) []string {
	targets := result.AllowingTargets
	if len(targets) == 0 {
		targets = result.DenyingTargets
	}
	out := []string{}
	seen := map[string]bool{}
	for _, target := range targets {
		for _, rule := range target.SourceRules {
			name := rule.Namespace + "/" + rule.Name
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	return out
}

func main() {
	var in input
	decoder := json.NewDecoder(os.Stdin)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "netpol-check: reading the input:", err)
		os.Exit(2)
	}
	// Not simplified: each target keeps the policies it came from, so a verdict names them.
	policy := matcher.BuildNetworkPolicies(false, in.Policies)
	out := make([]verdict, 0, len(in.Flows))
	for _, f := range in.Flows {
		protocol := v1.Protocol(f.Protocol)
		if protocol == "" {
			protocol = v1.ProtocolTCP
		}
		result := policy.IsTrafficAllowed(&matcher.Traffic{Source: trafficPeer(f.From), Destination: trafficPeer(f.To),
			ResolvedPort: f.Port, ResolvedPortName: f.PortName, Protocol: protocol})
		out = append(out, verdict{Name: f.Name, Allowed: result.Ingress.IsAllowed() && result.Egress.IsAllowed(),
			Egress: result.Egress.IsAllowed(), Ingress: result.Ingress.IsAllowed(),
			EgressBy: names(result.Egress), IngressBy: names(result.Ingress)})
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", " ")
	if err := encoder.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "netpol-check:", err)
		os.Exit(1)
	}
}
