# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Input validation of the private subnets an inventory declares: zones of the region, no overlaps."""

from __future__ import annotations

import ipaddress
import re

DOCUMENTATION = r"""
---
name: subnet_errors
short_description: List what is wrong between declared private subnets, one sentence per error
version_added: 0.4.0
description:
  - Takes C(platform_private_subnets) (a list of C({az, cidr})) and returns one sentence per error, each naming the
    variable path (such as C(platform_private_subnets[1].az)), the value and the rule. An empty list means the
    subnets are valid.
  - Every C(az) must be an availability zone of I(region), the region name followed by one lower-case letter (such
    as C(ap-northeast-1a)); and no two C(cidr) may overlap, as AWS refuses a subnet that overlaps another of its VPC.
  - The form of each CIDR and its place inside the VPC are checked elsewhere (the platform role's assert); a CIDR
    that is not an IPv4 network is skipped here.
positional: _input, region, variable
options:
  _input:
    description: Private subnets, as C(platform_private_subnets).
    type: list
    elements: dict
    required: true
  region:
    description: The AWS region the zones must belong to, as C(platform_aws_region).
    type: str
    required: true
  variable:
    description: The variable name used in the messages.
    type: str
    default: platform_private_subnets
"""

EXAMPLES = r"""
- name: Check the private subnets' zones and overlaps
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ platform_private_subnets | triptrip.platform.subnet_errors(platform_aws_region) }}"
"""

RETURN = r"""
_value:
  description: One sentence per error; empty when the zones belong to the region and no subnets overlap.
  type: list
  elements: str
"""


def ipv4_network(cidr):
    """The IPv4 network a CIDR names (host bits refused), or None: shared by the network filters."""
    try:
        return ipaddress.IPv4Network(str(cidr), strict=True)
    except ValueError:
        return None


def subnet_errors(subnets, region, variable="platform_private_subnets"):
    if not isinstance(subnets, list):
        return [f"{variable}={subnets!r}: must be a list of {{az, cidr}}"]
    errors = []
    zone = re.compile(rf"^{re.escape(str(region))}[a-z]$")
    networks = []
    for index, subnet in enumerate(subnets):
        where = f"{variable}[{index}]"
        if not isinstance(subnet, dict):
            errors.append(f"{where}={subnet!r}: must be a mapping of az and cidr")
            continue
        az = subnet.get("az")
        if not isinstance(az, str) or not zone.match(az):
            errors.append(f"{where}.az={az!r}: must be an availability zone of platform_aws_region={region}, the "
                          f"region followed by one lower-case letter (such as {region}a)")
        network = ipv4_network(subnet.get("cidr"))
        if network is not None:
            for other_index, other in networks:
                if network.overlaps(other):
                    errors.append(f"{where}.cidr={subnet.get('cidr')} overlaps {variable}[{other_index}].cidr={other}: "
                                  "the subnets of a VPC must not overlap")
            networks.append((index, network))
    return errors


class FilterModule:
    def filters(self):
        return {"subnet_errors": subnet_errors}
