# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Input validation of the network's egress: the mode, the public subnets, the NAT gateway count, endpoints."""

from __future__ import annotations

import re

from ansible_collections.triptrip.platform.plugins.filter.subnet_errors import ipv4_network, subnet_errors

DOCUMENTATION = r"""
---
name: network_errors
short_description: List what is wrong with the network's egress settings, one sentence per error
version_added: 0.9.0
description:
  - Takes the egress settings of an inventory and returns one sentence per error, each naming the variable, its
    value and the rule. An empty list means the settings can give the nodes a way out.
  - In C(nat) mode (a VPC we create) the public subnets must lie inside the VPC, cover exactly the zones of the
    private subnets (each zone's NAT gateway and ALB node live there), overlap neither each other nor a private
    subnet, and C(nat_gateways) must be from 1 to the number of public subnets.
  - In C(endpoints) mode there is no internet gateway, so an internet-facing load balancer cannot exist; every
    endpoint service must be a service name suffix such as C(ecr.api).
positional: _input, settings
options:
  _input:
    description: C(platform_network_egress), C(nat) or C(endpoints).
    type: str
    required: true
  settings:
    description: >-
      A mapping of C(nat_gateways), C(public_subnets), C(private_subnets), C(vpc_cidr), C(region),
      C(endpoint_services), C(adopted) (an adopted VPC: its subnets are not declared here) and C(internet_facing)
      (the names of the internet-facing load balancers the inventory configures).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the network's egress
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ platform_network_egress | triptrip.platform.network_errors({'nat_gateways': platform_network_nat_gateways,
      'public_subnets': platform_public_subnets, 'private_subnets': platform_private_subnets,
      'vpc_cidr': platform_vpc_cidr, 'region': platform_aws_region, 'endpoint_services': platform_network_endpoint_services,
      'adopted': platform_vpc_id | length > 0, 'internet_facing': []}) }}"
"""

RETURN = r"""
_value:
  description: One sentence per error; empty when the egress settings are valid.
  type: list
  elements: str
"""

_SERVICE = re.compile(r"^[a-z0-9]+([.-][a-z0-9]+)*$")


def _public_subnet_errors(settings):
    public = settings.get("public_subnets") or []
    private = settings.get("private_subnets") or []
    errors = subnet_errors(public, settings.get("region", ""), "platform_public_subnets")
    vpc = ipv4_network(settings.get("vpc_cidr"))
    private_networks = [(i, ipv4_network(s.get("cidr"))) for i, s in enumerate(private) if isinstance(s, dict)]
    for index, subnet in enumerate(public):
        if not isinstance(subnet, dict):
            continue
        network = ipv4_network(subnet.get("cidr"))
        where = f"platform_public_subnets[{index}].cidr={subnet.get('cidr')}"
        if network is None:
            errors.append(f"{where}: must be an IPv4 network in canonical form (such as 10.0.96.0/24)")
            continue
        if vpc is not None and not network.subnet_of(vpc):
            errors.append(f"{where} is not inside platform_vpc_cidr={settings.get('vpc_cidr')}")
        for other_index, other in private_networks:
            if other is not None and network.overlaps(other):
                errors.append(f"{where} overlaps platform_private_subnets[{other_index}].cidr={other}: the subnets of a "
                              "VPC must not overlap")
    public_zones = sorted({s.get("az") for s in public if isinstance(s, dict)})
    private_zones = sorted({s.get("az") for s in private if isinstance(s, dict)})
    if public_zones != private_zones:
        errors.append(f"platform_public_subnets zones {public_zones} must be the zones of platform_private_subnets "
                      f"{private_zones}: each zone's NAT gateway and load balancer nodes live in its public subnet")
    return errors


def network_errors(egress, settings):
    if egress not in ("nat", "endpoints"):
        return [f"platform_network_egress={egress!r} must be nat or endpoints"]
    settings = settings or {}
    errors = []
    adopted = bool(settings.get("adopted"))
    if egress == "nat" and not adopted:
        errors.extend(_public_subnet_errors(settings))
        count = settings.get("nat_gateways")
        zones = len(settings.get("public_subnets") or [])
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= max(zones, 1):
            errors.append(f"platform_network_nat_gateways={count!r} must be a whole number from 1 to the number of "
                          f"public subnets ({zones}): one per zone, or fewer shared by the zones")
    if egress == "endpoints":
        services = settings.get("endpoint_services") or []
        bad = [s for s in services if not isinstance(s, str) or not _SERVICE.match(s)]
        if bad:
            errors.append(f"platform_network_endpoint_services={services!r}: {bad!r} must be service name suffixes "
                          "such as ecr.api (the endpoint is com.amazonaws.<region>.<service>)")
        for name in settings.get("internet_facing") or []:
            errors.append(f"{name} is internet-facing, but platform_network_egress=endpoints builds a VPC without "
                          "an internet gateway, where no internet-facing load balancer can exist: make it internal "
                          "or use platform_network_egress=nat")
    return errors


class FilterModule:
    def filters(self):
        return {"network_errors": network_errors}
