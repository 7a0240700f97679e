# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""A Kubernetes resource quantity as a number."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.triptrip.platform.plugins.module_utils.capacity import parse_quantity

DOCUMENTATION = r"""
---
name: k8s_quantity
short_description: A Kubernetes resource quantity as a number
version_added: 0.3.0
description:
  - Reads a quantity the way the Kubernetes API does (C(500m), C(2), C(1.5Gi), C(129M), C(1e3)) and returns it as a
    float in base units (cores for CPU, bytes for memory), or divided by I(unit).
positional: _input, unit
options:
  _input:
    description: The quantity (a string or a number).
    type: raw
    required: true
  unit:
    description: A quantity to divide by, such as C(1Gi) to get GiB; empty for base units.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Sum the quotas' requested CPU in cores
  ansible.builtin.debug:
    msg: "{{ platform_resource_quotas.values() | map(attribute='requests.cpu') | map('triptrip.platform.k8s_quantity') | sum }}"

- name: A memory quantity in GiB
  ansible.builtin.debug:
    msg: "{{ '1536Mi' | triptrip.platform.k8s_quantity('1Gi') }}"  # 1.5
"""

RETURN = r"""
_value:
  description: The quantity as a float.
  type: float
"""


def k8s_quantity(value, unit: str = "") -> float:
    try:
        number = parse_quantity(value)
        if unit:
            number = number / parse_quantity(unit)
    except (ValueError, ArithmeticError) as err:
        raise AnsibleFilterError(f"k8s_quantity: {err}") from err
    return float(number)


class FilterModule:
    def filters(self):
        return {"k8s_quantity": k8s_quantity}
