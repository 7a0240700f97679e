# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The controllers that have not exactly one way to get AWS credentials, one sentence each."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: credential_way_errors
short_description: The controllers without exactly one way to get AWS credentials, one sentence each
version_added: 0.9.0
description:
  - Takes what C(triptrip.platform.credential_ways) returns and names each controller with no way or with two (IRSA
    and EKS Pod Identity), with the pieces it has. A controller not installed (C(installed) false) needs none.
    playbooks/identity_migration.yml stops on any other.
positional: _input
options:
  _input:
    description: C(credential_ways)' result.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Every controller has exactly one way
  ansible.builtin.assert:
    that: broken | length == 0
    fail_msg: "{{ broken | join('; ') }}"
  vars:
    broken: "{{ ways | triptrip.platform.credential_way_errors }}"
"""

RETURN = r"""
_value:
  description: One sentence per controller that has not exactly one way; empty when every one has.
  type: list
  elements: str
"""


def credential_way_errors(ways):
    """One sentence per installed controller that has not exactly one way, naming what it has."""
    return [f"{key}: {len(value['ways'])} ways to get credentials ({', '.join(value['ways']) or 'none'}; "
            f"service account annotated: {value['annotated']}, pod identity association: {value['associated']}, "
            f"role trusts: {', '.join(value['trusted']) or 'neither'})"
            for key, value in sorted((ways or {}).items()) if value.get("installed", True) and len(value["ways"]) != 1]


class FilterModule:
    def filters(self):
        return {"credential_way_errors": credential_way_errors}
