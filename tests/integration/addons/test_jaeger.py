"""Jaeger on the converged local platform (spec 5.3.1): the collector the mesh's tracing points at. The release at the
pinned version in monitoring, named as the spec's jaeger-collector, held to Pod Security `restricted`; Istio's
extension provider names its Service; the NetworkPolicies of the mesh's trace flows admit the spans on Zipkin's port."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

NS = "monitoring"
DEFAULTS = yaml.safe_load((Path(__file__).resolve().parents[3] / "roles/addon_jaeger/defaults/main.yml").read_text())


def test_the_release_is_deployed_at_the_pinned_version_as_the_specs_collector(addons):
    release = addons.releases()["jaeger"]
    assert release["namespace"] == NS and release["chart"] == f"jaeger-{DEFAULTS['addon_jaeger_version']}"
    values = addons.values("jaeger", NS)
    assert values["fullnameOverride"] == "jaeger-collector" and values["jaeger"]["replicas"] == 1
    service = addons.get("service", "jaeger-collector", NS)
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]}["http-zipkin"] == 9411


def test_its_pods_meet_pod_security_restricted(addons):
    pod = addons.get("deployment", "jaeger-collector", NS)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    assert container["resources"] == DEFAULTS["addon_jaeger_resources"]


def test_istio_sends_its_spans_to_this_service(addons):
    (provider,) = addons.values("istiod", "istio-system")["meshConfig"]["extensionProviders"]
    assert provider["zipkin"] == {"service": f"jaeger-collector.{NS}.svc.cluster.local", "port": 9411}


def test_the_mesh_s_trace_flows_admit_the_spans_into_monitoring(addons):
    policies = json.loads(addons.kubectl("get", "networkpolicies", "-n", NS, "-o", "json").stdout)["items"]
    flows = {p["metadata"].get("annotations", {}).get("triptrip.io/flow"): p for p in policies}
    for flow in ("istio/sidecar-traces", "istio/ingress-gateway-traces"):
        policy = flows[flow]
        assert "Ingress" in policy["spec"]["policyTypes"], flow
        ports = [port["port"] for rule in policy["spec"]["ingress"] for port in rule.get("ports", [])]
        assert ports == [9411], (flow, ports)
