# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The principal ARN an access entry of the inventory names."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: eks_access_principal
short_description: The principal ARN of an access entry, a role_name keeping its path
version_added: 0.10.0
description:
  - An entry of C(platform_eks_access_entries) names its principal by C(principal_arn), or by C(role_name), a role of
    the account whose path is part of the name given (C(aws-reserved/sso.amazonaws.com/Admin)). Returns the ARN EKS
    knows the principal by.
positional: _input, account_id
options:
  _input:
    description: The access entry.
    type: dict
    required: true
  account_id:
    description: The account of a C(role_name).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The runner's entry is among the inventory's
  ansible.builtin.debug:
    msg: "{{ platform_eks_access_entries | map('triptrip.platform.eks_access_principal', '123456789012') | list }}"
"""

RETURN = r"""
_value:
  description: The principal ARN.
  type: str
"""


def eks_access_principal(entry, account_id):
    """The principal ARN an access entry names: its principal_arn, or its role_name (with its path) in the account."""
    if entry.get("principal_arn"):
        return entry["principal_arn"]
    return f"arn:aws:iam::{account_id}:role/{entry['role_name']}"


class FilterModule:
    def filters(self):
        return {"eks_access_principal": eks_access_principal}
