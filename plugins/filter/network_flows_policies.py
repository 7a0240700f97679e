# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The platform's flow catalog turned into NetworkPolicies and Istio ServiceEntries, and checked."""

from __future__ import annotations

import ipaddress
import re

DOCUMENTATION = r"""
---
name: network_flows_policies
short_description: NetworkPolicies of the platform's flow catalog, least privilege
version_added: 0.11.0
description:
  - Each namespace of ours gets C(default-deny-all) (ingress and egress); then every flow of the catalog gives one
    allow policy on each side that is a namespace of ours (an egress policy where it starts, an ingress policy
    where it ends), named C(flow-<component>-<flow>-out) or C(-in) and annotated with the flow and its document,
    so every allow rule traces to one catalog entry.
  - "A flow is a mapping: C(component), C(name), C(from), C(to), C(port), C(protocol) (TCP), C(doc). A peer is one
    of: C(namespace) or C(namespaces) with optional C(pods) (labels); C(control_plane: true) (the EKS control
    plane's ENIs, in the VPC: the VPC CIDR); C(vpc: true) (any address of the VPC, e.g. an ALB's nodes);
    C(aws: <service>) (an AWS API: with the C(nat) egress the internet on the flow's port, with C(endpoints) the
    subnets of the interface endpoints); C(host: <dns name>) and C(internet: true) (outside the VPC); C(cidr)."
  - Outside the VPC means 0.0.0.0/0 except the private ranges, link-local (the instance metadata address) and the
    VPC CIDR.
positional: _input, namespaces
options:
  _input:
    description: The flow catalog (every enabled component's flows).
    type: list
    elements: dict
    required: true
  namespaces:
    description: The namespaces of ours (default-deny; a flow's side in another namespace gets no policy).
    type: list
    elements: str
    required: true
  vpc_cidr:
    description: The VPC's CIDR.
    type: str
    required: true
  egress:
    description: The network's egress mode, C(nat) or C(endpoints).
    type: str
    default: nat
  endpoint_cidrs:
    description: The subnets of the interface endpoints (C(endpoints) mode).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: The NetworkPolicies of the catalog
  ansible.builtin.set_fact:
    policies: "{{ platform_flows | triptrip.platform.network_flows_policies(namespaces, vpc_cidr='10.0.0.0/16') }}"
"""

RETURN = r"""
_value:
  description: NetworkPolicy objects, default-deny first.
  type: list
  elements: dict
"""

# Never reached as "outside the VPC": RFC 1918, link-local (169.254.169.254, the instance metadata service) and the
# shared address space carrier-grade NAT and some VPCs use.
NOT_OUTSIDE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"]
PEER_KINDS = ("namespace", "namespaces", "control_plane", "vpc", "aws", "host", "internet", "cidr")
FLOW_KEYS = {"name", "from", "to", "port", "protocol", "doc", "mesh"}
PROTOCOLS = ("TCP", "UDP", "SCTP")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$")
DOC = re.compile(r"^(https://\S+|Doc-IA-002 [0-9][0-9.]*)$")
AWS_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
LABELS = {"app.kubernetes.io/part-of": "triptrip", "app.kubernetes.io/managed-by": "triptrip-platform"}


def _kind(peer):
    kinds = [k for k in PEER_KINDS if k in peer] if isinstance(peer, dict) else []
    kinds = ["namespace" if k == "namespaces" else k for k in kinds]
    return kinds[0] if len(kinds) == 1 else None


def _namespaces(peer):
    return list(peer["namespaces"]) if "namespaces" in peer else [peer["namespace"]]


def outside_vpc(vpc_cidr):
    """The ipBlock of 'outside the VPC'."""
    vpc = ipaddress.ip_network(vpc_cidr)
    inside = any(vpc.subnet_of(ipaddress.ip_network(cidr)) for cidr in NOT_OUTSIDE)
    return {"cidr": "0.0.0.0/0", "except": NOT_OUTSIDE + ([] if inside else [vpc_cidr])}


def _peers(peer, vpc_cidr, egress, endpoint_cidrs):
    """The NetworkPolicyPeers of a peer seen from the other side."""
    kind = _kind(peer)
    if kind == "namespace":
        pods = {"podSelector": {"matchLabels": dict(peer["pods"])}} if peer.get("pods") else {"podSelector": {}}
        return [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}, **pods}
                for ns in _namespaces(peer)]
    if kind in ("control_plane", "vpc"):
        return [{"ipBlock": {"cidr": vpc_cidr}}]
    if kind == "cidr":
        return [{"ipBlock": {"cidr": peer["cidr"]}}]
    if kind == "aws" and egress == "endpoints":
        return [{"ipBlock": {"cidr": cidr}} for cidr in endpoint_cidrs]
    return [{"ipBlock": outside_vpc(vpc_cidr)}]


def _policy(flow, namespace, side, selector, peers):
    component = str(flow["component"]).replace("_", "-")
    name = "flow-%s-%s-%s" % (component, flow["name"], "out" if side == "egress" else "in")
    rule = {"to" if side == "egress" else "from": peers,
            "ports": [{"protocol": flow.get("protocol", "TCP"), "port": int(flow["port"])}]}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {**LABELS, "app.kubernetes.io/component": "network-flow"},
                     "annotations": {"triptrip.io/flow": "%s/%s" % (flow["component"], flow["name"]),
                                     "triptrip.io/doc": str(flow["doc"])}},
        "spec": {"podSelector": selector, "policyTypes": ["Egress" if side == "egress" else "Ingress"],
                 side: [rule]},
    }


def network_flows_policies(catalog, namespaces, vpc_cidr, egress="nat", endpoint_cidrs=None):
    ours = set(namespaces)
    out = []
    for namespace in namespaces:
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": "default-deny-all", "namespace": namespace,
                                 "labels": {**LABELS, "app.kubernetes.io/name": "default-deny-all"}},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})
    for flow in catalog:
        source, target = flow["from"], flow["to"]
        if _kind(source) == "namespace":
            peers = _peers(target, vpc_cidr, egress, endpoint_cidrs or [])
            selector = {"matchLabels": dict(source["pods"])} if source.get("pods") else {}
            out += [_policy(flow, ns, "egress", selector, peers) for ns in _namespaces(source) if ns in ours]
        if _kind(target) == "namespace":
            peers = _peers(source, vpc_cidr, egress, endpoint_cidrs or [])
            selector = {"matchLabels": dict(target["pods"])} if target.get("pods") else {}
            out += [_policy(flow, ns, "ingress", selector, peers) for ns in _namespaces(target) if ns in ours]
    return out


def aws_host(service, region):
    """The regional endpoint of an AWS service (https://docs.aws.amazon.com/general/latest/gr/rande.html)."""
    return "%s.%s.amazonaws.com" % (service, region)


def network_flows_service_entries(catalog, meshed_namespaces, region, namespace="istio-system"):
    """One ServiceEntry per external host a meshed workload reaches (REGISTRY_ONLY lets nothing else out)."""
    meshed = set(meshed_namespaces)
    hosts = {}
    for flow in catalog:
        source, target = flow["from"], flow["to"]
        if _kind(source) != "namespace" or not meshed.intersection(_namespaces(source)):
            continue
        if flow.get("mesh") is False:
            continue
        kind = _kind(target)
        if kind == "aws":
            host = aws_host(target["aws"], region)
        elif kind == "host":
            host = target["host"]
        else:
            continue
        entry = hosts.setdefault(host, {"ports": {}, "flows": []})
        entry["ports"][int(flow["port"])] = flow.get("protocol", "TCP")
        entry["flows"].append("%s/%s" % (flow["component"], flow["name"]))
    out = []
    for host, entry in sorted(hosts.items()):
        ports = [{"number": port, "name": "%s-%d" % ("https" if port == 443 else "tcp", port),
                  "protocol": "TLS" if port == 443 else "TCP"} for port in sorted(entry["ports"])]
        out.append({
            "apiVersion": "networking.istio.io/v1",
            "kind": "ServiceEntry",
            "metadata": {"name": "egress-" + host.replace(".", "-")[:56], "namespace": namespace,
                         "labels": {**LABELS, "app.kubernetes.io/component": "network-flow"},
                         "annotations": {"triptrip.io/flow": ",".join(sorted(set(entry["flows"])))}},
            "spec": {"hosts": [host], "location": "MESH_EXTERNAL", "resolution": "DNS", "ports": ports},
        })
    return out


def _peer_errors(where, peer, namespaces, endpoint_services, egress):
    kind = _kind(peer)
    if kind is None:
        return ["%s must be one mapping with one of %s, got %r" % (where, ", ".join(PEER_KINDS), peer)]
    errors = []
    unknown = set(peer) - {kind, "namespaces" if kind == "namespace" else kind, "pods"}
    if unknown:
        errors.append("%s has unknown keys %s" % (where, sorted(unknown)))
    if kind == "namespace":
        names = peer.get("namespaces", [peer.get("namespace")])
        for ns in names if isinstance(names, list) else [names]:
            if ns not in namespaces:
                errors.append("%s names namespace %r, which is not a namespace of the cluster (%s)"
                              % (where, ns, ", ".join(sorted(namespaces))))
        pods = peer.get("pods", {})
        if not isinstance(pods, dict) or not all(isinstance(v, str) and v for v in pods.values()):
            errors.append("%s.pods must map label names to non-empty strings, got %r" % (where, pods))
    elif kind == "aws":
        service = peer["aws"]
        if not isinstance(service, str) or not AWS_SERVICE.match(service):
            errors.append("%s.aws must be an AWS service's endpoint prefix (sqs, sts, logs, ...), got %r"
                          % (where, service))
        elif egress == "endpoints" and service not in endpoint_services:
            errors.append("%s reaches AWS %s, which has no interface endpoint in platform_network_endpoint_services "
                          "(egress endpoints: nothing else leaves the VPC)" % (where, service))
    elif kind == "host":
        if not isinstance(peer["host"], str) or not DNS_NAME.match(peer["host"]):
            errors.append("%s.host must be a DNS name (a ServiceEntry host), got %r" % (where, peer["host"]))
    elif kind == "cidr":
        try:
            ipaddress.ip_network(str(peer["cidr"]))
        except ValueError:
            errors.append("%s.cidr must be a CIDR, got %r" % (where, peer["cidr"]))
    elif peer[kind] is not True:
        errors.append("%s.%s must be true, got %r" % (where, kind, peer[kind]))
    return errors


def _flow_errors(where, flow, component, namespaces, endpoint_services, egress):
    if not isinstance(flow, dict):
        return ["%s must be a mapping, got %r" % (where, flow)]
    errors = []
    unknown = set(flow) - FLOW_KEYS - ({"component"} if component is None else set())
    if unknown:
        errors.append("%s has unknown keys %s (known: %s)" % (where, sorted(unknown), ", ".join(sorted(FLOW_KEYS))))
    name = flow.get("name")
    if not isinstance(name, str) or not DNS_LABEL.match(name) or len(name) > 40:
        errors.append("%s.name must be a DNS label of at most 40 characters, got %r" % (where, name))
    port = flow.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        errors.append("%s.port must be a number from 1 to 65535, got %r" % (where, port))
    if flow.get("protocol", "TCP") not in PROTOCOLS:
        errors.append("%s.protocol must be one of %s, got %r" % (where, ", ".join(PROTOCOLS), flow.get("protocol")))
    if not isinstance(flow.get("doc"), str) or not DOC.match(flow["doc"]):
        errors.append("%s.doc must be the https:// address of the document the flow comes from (or a section of the "
                      "spec, 'Doc-IA-002 6.2.1'), got %r" % (where, flow.get("doc")))
    if "mesh" in flow and not isinstance(flow["mesh"], bool):
        errors.append("%s.mesh must be true or false, got %r" % (where, flow["mesh"]))
    for side in ("from", "to"):
        if side not in flow:
            errors.append("%s has no %s" % (where, side))
        else:
            errors += _peer_errors("%s.%s" % (where, side), flow[side], namespaces, endpoint_services, egress)
    if "from" in flow and "to" in flow and _kind(flow["from"]) != "namespace" and _kind(flow["to"]) != "namespace":
        errors.append("%s has no pod side: one of from and to must be a namespace" % where)
    return errors


def network_flows_errors(baseline, addons, workloads, extra, namespaces, endpoint_services=None, egress="nat"):
    """What is wrong with the flows, each error naming the variable, the flow and the value ([] when nothing)."""
    lists = [("platform_baseline_flows", "baseline", baseline)]
    lists += [("addon_%s_flows" % n, n, a.get("flows")) for n, a in sorted((addons or {}).items())
              if isinstance(a, dict)]
    lists += [("platform_workloads.%s.flows" % n, n, w.get("flows")) for n, w in sorted((workloads or {}).items())
              if isinstance(w, dict)]
    components = {component for _path, component, _flows in lists}
    lists.append(("platform_flows_extra", None, extra))
    errors = []
    seen = set()
    for variable, component, flows in lists:
        if flows is None:
            continue
        if not isinstance(flows, list):
            errors.append("%s must be a list of flows, got %r" % (variable, flows))
            continue
        for index, flow in enumerate(flows):
            where = "%s[%d]" % (variable, index)
            owner = component
            if component is None and isinstance(flow, dict):
                owner = flow.get("component")
                if owner not in components:
                    errors.append("%s.component must be one of %s, got %r" % (where, ", ".join(sorted(components)), owner))
            errors += _flow_errors(where, flow, component, namespaces, endpoint_services or [], egress)
            key = (owner, flow.get("name") if isinstance(flow, dict) else None)
            if key in seen:
                errors.append("%s: flow %s/%s is declared twice" % (where, key[0], key[1]))
            seen.add(key)
    return errors


def network_flows_catalog(baseline, addons, workloads, extra=None):
    """The catalog of what runs: the baseline's flows, each enabled add-on's and workload's (their `flows`), and the
    inventory's extra flows, each with its `component` (an extra flow names its own)."""
    out = [dict(flow, component="baseline") for flow in baseline or []]
    for group in (addons or {}, workloads or {}):
        for name, component in sorted(group.items()):
            if isinstance(component, dict) and component.get("enabled", True):
                out += [dict(flow, component=name) for flow in component.get("flows") or []]
    return out + list(extra or [])


class FilterModule:
    def filters(self):
        return {
            "network_flows_catalog": network_flows_catalog,
            "network_flows_policies": network_flows_policies,
            "network_flows_service_entries": network_flows_service_entries,
            "network_flows_errors": network_flows_errors,
        }
