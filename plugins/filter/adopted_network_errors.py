# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Read-only checks of an adopted VPC: the node subnets have a way out, the public subnets an ALB needs exist."""

from __future__ import annotations

import ipaddress

DOCUMENTATION = r"""
---
name: adopted_network_errors
short_description: List what an adopted VPC lacks for a working EKS cluster, one sentence per subnet
version_added: 0.9.0
description:
  - Takes the VPC's subnets, route tables and endpoints as the amazon.aws info modules return them, and returns one
    sentence per problem, each naming the subnet and what it lacks. An empty list means the VPC can serve.
  - A node subnet has egress when its route table (its own association, else the VPC's main table) sends
    C(0.0.0.0/0) to a NAT gateway, a transit gateway or a NAT instance; or when the VPC has an interface endpoint with
    private DNS for every required service and the S3 gateway endpoint on that route table (EKS private clusters,
    U(https://docs.aws.amazon.com/eks/latest/userguide/private-clusters.html)). Without either, nodes cannot pull
    images or reach the EKS, EC2 and STS APIs, and node groups end NodeCreationFailure.
  - With I(need_public), the VPC must have subnets tagged C(kubernetes.io/role/elb=1) that route C(0.0.0.0/0) to an
    internet gateway in at least two zones, where the AWS Load Balancer Controller places internet-facing ALBs
    (U(https://docs.aws.amazon.com/eks/latest/userguide/network-load-balancing.html)).
positional: _input, route_tables, endpoints, node_subnet_ids, services, region, need_public, vpc_cidr
options:
  _input:
    description: The VPC's subnets (amazon.aws.ec2_vpc_subnet_info's C(subnets)).
    type: list
    elements: dict
    required: true
  route_tables:
    description: The VPC's route tables (amazon.aws.ec2_vpc_route_table_info's C(route_tables)).
    type: list
    elements: dict
    required: true
  endpoints:
    description: The VPC's endpoints (amazon.aws.ec2_vpc_endpoint_info's C(vpc_endpoints)).
    type: list
    elements: dict
    required: true
  node_subnet_ids:
    description: The subnets the nodes use (C(platform_subnet_ids)).
    type: list
    elements: str
    required: true
  services:
    description: The interface endpoint services that replace egress, as C(ecr.api).
    type: list
    elements: str
    required: true
  region:
    description: The VPC's region.
    type: str
    required: true
  need_public:
    description: Whether an internet-facing load balancer is configured.
    type: bool
    default: false
  vpc_cidr:
    description:
      - C(platform_vpc_cidr), which must hold every node subnet, since the generated NetworkPolicies reach the EKS
        control plane's network interfaces (in those subnets) and the interface endpoints by it. Empty skips the check.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Check the adopted VPC's egress
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ subnets.subnets | triptrip.platform.adopted_network_errors(tables.route_tables, endpoints.vpc_endpoints,
      platform_subnet_ids, platform_network_endpoint_services, platform_aws_region, true) }}"
"""

RETURN = r"""
_value:
  description: One sentence per subnet and lack; empty when the VPC has what the cluster needs.
  type: list
  elements: str
"""

_EGRESS_TARGETS = ("nat_gateway_id", "transit_gateway_id", "instance_id")


def _table_of(subnet_id, route_tables):
    main = None
    for table in route_tables:
        for association in table.get("associations") or []:
            if association.get("subnet_id") == subnet_id:
                return table
            if association.get("main"):
                main = table
    return main


def _table_id(table):
    return table.get("route_table_id") or table.get("id") if table else None


def _default_route(table):
    for route in (table or {}).get("routes") or []:
        if route.get("destination_cidr_block") == "0.0.0.0/0" and route.get("state", "active") == "active":
            return route
    return None


def _egress_route(table):
    route = _default_route(table)
    return bool(route) and any(str(route.get(key) or "").strip() for key in _EGRESS_TARGETS)


def _igw_route(table):
    route = _default_route(table)
    return bool(route) and str(route.get("gateway_id") or "").startswith("igw-")


def _live(endpoint):
    return str(endpoint.get("state", "available")).lower() in ("available", "pending")


def _outside(cidr, vpc_cidr):
    try:
        return not ipaddress.ip_network(str(cidr), strict=False).subnet_of(ipaddress.ip_network(str(vpc_cidr), strict=False))
    except (TypeError, ValueError):
        return True


def adopted_network_errors(subnets, route_tables, endpoints, node_subnet_ids, services, region, need_public=False,
                           vpc_cidr=""):
    errors = []
    by_id = {s.get("subnet_id"): s for s in subnets or []}
    if vpc_cidr:
        outside = [f"{i} ({by_id[i].get('cidr_block')})" for i in node_subnet_ids
                   if i in by_id and _outside(by_id[i].get("cidr_block"), vpc_cidr)]
        if outside:
            errors.append(f"platform_vpc_cidr={vpc_cidr} does not hold the adopted subnets {outside}: set it to the "
                          "adopted VPC's CIDR (the NetworkPolicies reach the control plane and the endpoints by it)")
    endpoints = [e for e in endpoints or [] if _live(e)]
    interface = {e.get("service_name") for e in endpoints
                 if e.get("vpc_endpoint_type") == "Interface" and e.get("private_dns_enabled", True)}
    missing = [s for s in services if f"com.amazonaws.{region}.{s}" not in interface]
    s3_tables = {t for e in endpoints if e.get("service_name") == f"com.amazonaws.{region}.s3"
                 and e.get("vpc_endpoint_type") == "Gateway" for t in e.get("route_table_ids") or []}
    for subnet_id in node_subnet_ids:
        table = _table_of(subnet_id, route_tables)
        if subnet_id not in by_id or _egress_route(table):
            continue  # a subnet that is not in the VPC is reported by the subnet check
        lacks = []
        if missing:
            lacks.append("interface endpoints with private DNS for " + ", ".join(missing))
        if _table_id(table) not in s3_tables:
            lacks.append("the S3 gateway endpoint on its route table")
        if lacks:
            errors.append(f"platform_subnet_ids: subnet {subnet_id} has no egress: its route table "
                          f"{_table_id(table) or '(none)'} sends 0.0.0.0/0 to no NAT gateway, transit gateway or NAT "
                          f"instance, and the VPC lacks {' and '.join(lacks)} (nodes could not pull images or reach "
                          "the EKS, EC2 and STS APIs)")
    if need_public:
        public = [s for s in subnets or [] if str((s.get("tags") or {}).get("kubernetes.io/role/elb")) == "1"]
        routed = [s for s in public if _igw_route(_table_of(s.get("subnet_id"), route_tables))]
        zones = sorted({s.get("availability_zone") for s in routed})
        if len(zones) < 2:
            unrouted = [s.get("subnet_id") for s in public if s not in routed]
            errors.append(f"platform_vpc_id: an internet-facing load balancer is configured, but the VPC has public "
                          f"subnets (tagged kubernetes.io/role/elb=1, routing 0.0.0.0/0 to an internet gateway) in "
                          f"{len(zones)} zone(s) {zones}; an ALB needs two"
                          + (f" (tagged but not routed to an internet gateway: {unrouted})" if unrouted else ""))
    return errors


class FilterModule:
    def filters(self):
        return {"adopted_network_errors": adopted_network_errors}
