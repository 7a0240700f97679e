"""network_flows_*: the flow catalog becomes one allow policy per flow and side, ServiceEntries for the meshed
workloads' external hosts, and every malformed flow is refused naming its variable."""

from __future__ import annotations

import pytest
from ansible_collections.triptrip.platform.plugins.filter.network_flows_policies import (
    network_flows_catalog, network_flows_errors, network_flows_policies, network_flows_service_entries)

NAMESPACES = ["triptrip-api", "triptrip-workers", "triptrip-cache", "keda", "istio-system"]
ALL = NAMESPACES + ["kube-system"]
VPC = "10.0.0.0/16"


def flow(**kw):
    base = {"component": "workers", "name": "to-sqs", "from": {"namespace": "triptrip-workers", "pods": {"app": "w"}},
            "to": {"aws": "sqs"}, "port": 443, "doc": "https://docs.aws.amazon.com/general/latest/gr/sqs-service.html"}
    return {**base, **kw}


def by_name(policies):
    return {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in policies}


def test_every_namespace_gets_default_deny_and_each_flow_a_policy_per_side_of_ours():
    catalog = [flow(), flow(component="keda", name="operator-redis", **{
        "from": {"namespace": "keda", "pods": {"app": "keda-operator"}},
        "to": {"namespace": "triptrip-cache", "pods": {"app": "redis-cluster"}}, "port": 6379}),
        flow(component="istio", name="injection-webhook", **{
            "from": {"control_plane": True}, "to": {"namespace": "istio-system", "pods": {"app": "istiod"}},
            "port": 15017}),
        flow(component="baseline", name="dns-udp", protocol="UDP", port=53, **{
            "from": {"namespaces": ["triptrip-api", "keda"]},
            "to": {"namespace": "kube-system", "pods": {"k8s-app": "kube-dns"}}})]
    policies = by_name(network_flows_policies(catalog, NAMESPACES, vpc_cidr=VPC))
    assert all(policies[(ns, "default-deny-all")]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
               for ns in NAMESPACES)
    sqs = policies[("triptrip-workers", "flow-workers-to-sqs-out")]
    assert sqs["metadata"]["annotations"] == {"triptrip.io/flow": "workers/to-sqs",
                                              "triptrip.io/doc": catalog[0]["doc"]}
    assert sqs["spec"] == {"podSelector": {"matchLabels": {"app": "w"}}, "policyTypes": ["Egress"], "egress": [{
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                            "169.254.0.0/16", "100.64.0.0/10"]}}],
        "ports": [{"protocol": "TCP", "port": 443}]}]}
    out = policies[("keda", "flow-keda-operator-redis-out")]["spec"]["egress"][0]["to"]
    assert out == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "triptrip-cache"}},
                    "podSelector": {"matchLabels": {"app": "redis-cluster"}}}]
    inbound = policies[("triptrip-cache", "flow-keda-operator-redis-in")]["spec"]
    assert inbound["podSelector"] == {"matchLabels": {"app": "redis-cluster"}}
    assert inbound["ingress"][0]["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}},
                                              "podSelector": {"matchLabels": {"app": "keda-operator"}}}]
    webhook = policies[("istio-system", "flow-istio-injection-webhook-in")]["spec"]["ingress"][0]
    assert webhook == {"from": [{"ipBlock": {"cidr": VPC}}], "ports": [{"protocol": "TCP", "port": 15017}]}
    # kube-system is not ours: no policy there; the DNS flow gives an egress policy in each source namespace.
    assert not [key for key in policies if key[0] == "kube-system"]
    dns = [key for key in policies if key[1] == "flow-baseline-dns-udp-out"]
    assert sorted(dns) == [("keda", "flow-baseline-dns-udp-out"), ("triptrip-api", "flow-baseline-dns-udp-out")]
    assert policies[dns[0]]["spec"]["egress"][0]["ports"] == [{"protocol": "UDP", "port": 53}]
    assert policies[dns[0]]["spec"]["podSelector"] == {}
    assert len(policies) == len(NAMESPACES) + 1 + 2 + 1 + 2


def test_the_vpc_peer_is_the_vpc_cidr():
    alb = flow(component="lb", name="alb", **{"from": {"vpc": True}, "to": {"namespace": "istio-system"}, "port": 80})
    [policy] = [p for p in network_flows_policies([alb], NAMESPACES, vpc_cidr=VPC) if p["metadata"]["name"] != "default-deny-all"]
    assert policy["spec"]["ingress"][0]["from"] == [{"ipBlock": {"cidr": VPC}}]


def test_aws_apis_go_to_the_endpoints_subnets_in_a_private_vpc():
    policies = network_flows_policies([flow()], NAMESPACES, vpc_cidr=VPC, egress="endpoints",
                                      endpoint_cidrs=["10.0.0.0/19", "10.0.32.0/19"])
    [rule] = by_name(policies)[("triptrip-workers", "flow-workers-to-sqs-out")]["spec"]["egress"]
    assert rule["to"] == [{"ipBlock": {"cidr": "10.0.0.0/19"}}, {"ipBlock": {"cidr": "10.0.32.0/19"}}]


def test_a_vpc_outside_the_private_ranges_is_excluded_from_outside():
    [rule] = by_name(network_flows_policies([flow()], NAMESPACES, vpc_cidr="100.80.0.0/16"))[
        ("triptrip-workers", "flow-workers-to-sqs-out")]["spec"]["egress"]
    assert "100.80.0.0/16" not in rule["to"][0]["ipBlock"]["except"]  # inside 100.64.0.0/10 already
    [rule] = by_name(network_flows_policies([flow()], NAMESPACES, vpc_cidr="52.0.0.0/16"))[
        ("triptrip-workers", "flow-workers-to-sqs-out")]["spec"]["egress"]
    assert rule["to"][0]["ipBlock"]["except"][-1] == "52.0.0.0/16"


def test_meshed_workloads_get_a_service_entry_per_external_host():
    catalog = [flow(), flow(name="to-sts", to={"aws": "sts"}),
               flow(name="partner", to={"host": "api.partner.example"}, port=8443),
               flow(component="keda", name="operator-sqs", **{"from": {"namespace": "keda"}}),  # not meshed
               flow(name="to-redis", to={"namespace": "triptrip-cache"}, port=6379),  # in the registry already
               flow(name="internal", to={"host": "legacy.example"}, mesh=False)]
    entries = network_flows_service_entries(catalog, ["triptrip-workers", "triptrip-api"], "ap-northeast-1")
    assert [e["spec"]["hosts"] for e in entries] == [["api.partner.example"], ["sqs.ap-northeast-1.amazonaws.com"],
                                                     ["sts.ap-northeast-1.amazonaws.com"]]
    sqs = entries[1]
    assert sqs["metadata"] == {"name": "egress-sqs-ap-northeast-1-amazonaws-com", "namespace": "istio-system",
                               "labels": {"app.kubernetes.io/part-of": "triptrip",
                                          "app.kubernetes.io/managed-by": "triptrip-platform",
                                          "app.kubernetes.io/component": "network-flow"},
                               "annotations": {"triptrip.io/flow": "workers/to-sqs"}}
    assert sqs["spec"] == {"hosts": ["sqs.ap-northeast-1.amazonaws.com"], "location": "MESH_EXTERNAL",
                           "resolution": "DNS", "ports": [{"number": 443, "name": "https-443", "protocol": "TLS"}]}
    assert entries[0]["spec"]["ports"] == [{"number": 8443, "name": "tcp-8443", "protocol": "TCP"}]


def test_the_catalog_holds_what_runs():
    addons = {"keda": {"enabled": True, "flows": [{"name": "a"}]}, "argocd": {"enabled": False, "flows": [{"name": "b"}]}}
    workloads = {"api": {"enabled": True, "flows": [{"name": "c"}]}, "redis": {"enabled": True}}
    extra = [{"component": "api", "name": "d"}]
    catalog = network_flows_catalog([{"name": "dns"}], addons, workloads, extra)
    assert [(f["component"], f["name"]) for f in catalog] == [
        ("baseline", "dns"), ("keda", "a"), ("api", "c"), ("api", "d")]


def errors_of(extra=None, addons=None, **kw):
    return network_flows_errors([], addons or {"keda": {"flows": []}}, {"workers": {"flows": []}}, extra or [], ALL,
                                **kw)


def test_a_sound_catalog_has_no_errors():
    assert errors_of([flow()]) == []


@pytest.mark.parametrize("change, message", [
    ({"component": "kafka"}, "platform_flows_extra[0].component must be one of baseline, keda, workers, got 'kafka'"),
    ({"to": {"namespace": "payments"}}, "platform_flows_extra[0].to names namespace 'payments', which is not"),
    ({"port": 70000}, "platform_flows_extra[0].port must be a number from 1 to 65535, got 70000"),
    ({"port": "443"}, "platform_flows_extra[0].port must be a number from 1 to 65535, got '443'"),
    ({"protocol": "HTTP"}, "platform_flows_extra[0].protocol must be one of TCP, UDP, SCTP, got 'HTTP'"),
    ({"to": {"host": "https://api.partner.example/v1"}}, "platform_flows_extra[0].to.host must be a DNS name"),
    ({"to": {"host": "partner"}}, "platform_flows_extra[0].to.host must be a DNS name"),
    ({"to": {"aws": "Simple Queue"}}, "platform_flows_extra[0].to.aws must be an AWS service's endpoint prefix"),
    ({"to": {"cidr": "10.0.0.0/33"}}, "platform_flows_extra[0].to.cidr must be a CIDR"),
    ({"to": {"internet": "yes"}}, "platform_flows_extra[0].to.internet must be true"),
    ({"from": {"vpc": 1}, "to": {"namespace": "keda"}}, "platform_flows_extra[0].from.vpc must be true"),
    ({"to": {"aws": "sqs", "host": "x.example"}}, "platform_flows_extra[0].to must be one mapping with one of"),
    ({"to": {"namespace": "keda", "pod": {"app": "x"}}}, "platform_flows_extra[0].to has unknown keys ['pod']"),
    ({"to": {"namespace": "keda", "pods": {"app": 1}}}, "platform_flows_extra[0].to.pods must map label names"),
    ({"prot": "TCP"}, "platform_flows_extra[0] has unknown keys ['prot']"),
    ({"name": "Partner API"}, "platform_flows_extra[0].name must be a DNS label"),
    ({"doc": "see the wiki"}, "platform_flows_extra[0].doc must be the https:// address"),
    ({"mesh": "no"}, "platform_flows_extra[0].mesh must be true or false"),
    ({"from": {"control_plane": True}}, "platform_flows_extra[0] has no pod side"),
])
def test_each_broken_flow_is_named(change, message):
    errors = errors_of([flow(**change)])
    assert any(e.startswith(message) for e in errors), errors


def test_a_flow_without_a_side_or_declared_twice_is_refused():
    broken = flow()
    del broken["to"]
    assert "platform_flows_extra[0] has no to" in errors_of([broken])
    twice = errors_of([flow()], addons={"keda": {"flows": []}, "workers": {}}) + errors_of([flow(), flow()])
    assert "platform_flows_extra[1]: flow workers/to-sqs is declared twice" in twice


def test_a_component_flow_is_named_by_its_variable_and_may_not_name_a_component():
    errors = network_flows_errors([], {"keda": {"flows": [flow(component="keda", port=0)]}}, {}, [], ALL)
    assert errors == ["addon_keda_flows[0] has unknown keys ['component'] (known: doc, from, mesh, name, "
                      "port, protocol, to)",
                      "addon_keda_flows[0].port must be a number from 1 to 65535, got 0"]


def test_an_aws_api_needs_its_interface_endpoint_in_a_private_vpc():
    errors = errors_of([flow()], egress="endpoints", endpoint_services=["sts", "logs"])
    assert errors == ["platform_flows_extra[0].to reaches AWS sqs, which has no interface endpoint in "
                      "platform_network_endpoint_services (egress endpoints: nothing else leaves the VPC)"]
    assert errors_of([flow()], egress="endpoints", endpoint_services=["sqs"]) == []
