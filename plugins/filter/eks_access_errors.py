# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Input validation of how the runner reaches the cluster: the API access mode, its CIDRs, the access entries."""

from __future__ import annotations

import ipaddress
import re

DOCUMENTATION = r"""
---
name: eks_access_errors
short_description: List what is wrong with the cluster access settings, one sentence per error
version_added: 0.10.0
description:
  - Takes the settings that decide how the runner reaches a private EKS endpoint and who may use the cluster, and
    returns one sentence per error, each naming the variable, its value and the rule. Empty when they are valid.
  - C(vpc) mode needs C(allowed_cidrs) (the runner's networks, admitted on 443 by the cluster security group);
    C(temporary_public) needs C(public_cidrs) (the runner's egress) and is refused in a strict environment unless
    C(temporary_public_allowed); C(proxy) needs a C(proxy_url) (http, https or socks5).
  - Every access entry's C(principal_arn) must be an IAM role or user ARN (EKS accepts no other principal; an STS
    assumed-role ARN is a session, not a principal); a C(role_name) may carry a path (C(aws-reserved/sso.amazonaws.com/Name)).
positional: _input
options:
  _input:
    description: >-
      A mapping of C(mode), C(allowed_cidrs), C(public_cidrs), C(temporary_public_allowed), C(proxy_url), C(strict)
      (the environment is strict), C(environment) and C(entries) (platform_eks_access_entries).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the cluster access settings
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ {'mode': 'vpc', 'allowed_cidrs': ['10.0.0.0/16'], 'entries': []} | triptrip.platform.eks_access_errors }}"
"""

RETURN = r"""
_value:
  description: One sentence per error; empty when the settings are valid.
  type: list
  elements: str
"""

MODES = ("vpc", "temporary_public", "proxy")
PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
ROLE_NAME = re.compile(r"^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
PROXY = re.compile(r"^(https?|socks5)://[^\s/]+(:[0-9]+)?/?$")


def _cidr_errors(name, cidrs):
    errors = []
    if not isinstance(cidrs, list):
        return [f"{name}={cidrs!r}: must be a list of CIDRs such as 10.0.0.0/16"]
    for cidr in cidrs:
        try:
            ipaddress.ip_network(str(cidr), strict=True)
        except ValueError as err:
            errors.append(f"{name} holds {cidr!r}: not a CIDR ({err})")
    return errors


def eks_access_errors(settings):
    mode = settings.get("mode")
    errors = []
    if mode not in MODES:
        errors.append(f"platform_eks_api_access={mode!r}: must be one of {', '.join(MODES)}")
    allowed, public = settings.get("allowed_cidrs") or [], settings.get("public_cidrs") or []
    errors += _cidr_errors("platform_eks_api_allowed_cidrs", settings.get("allowed_cidrs", []))
    errors += _cidr_errors("platform_eks_api_public_cidrs", settings.get("public_cidrs", []))
    if mode == "vpc" and not allowed:
        errors.append("platform_eks_api_allowed_cidrs=[]: the vpc access mode admits the runner's networks on 443 of "
                      "the cluster security group; list them (the VPC's CIDR when the runner runs inside it)")
    if mode == "temporary_public":
        if not public:
            errors.append("platform_eks_api_public_cidrs=[]: the temporary_public mode opens the endpoint to the "
                          "runner's egress CIDRs only; list them (never 0.0.0.0/0)")
        if any(str(c).endswith("/0") for c in public):
            errors.append(f"platform_eks_api_public_cidrs={public}: a /0 opens the endpoint to the internet")
        if settings.get("strict") and not settings.get("temporary_public_allowed"):
            errors.append(f"platform_eks_api_access=temporary_public: {settings.get('environment')} keeps its "
                          "endpoint private; set platform_eks_api_temporary_public_allowed: true in its inventory "
                          "to allow a first build from outside the VPC")
    if mode == "proxy" and not PROXY.match(str(settings.get("proxy_url") or "")):
        errors.append(f"platform_eks_api_proxy_url={settings.get('proxy_url')!r}: the proxy mode needs the URL of "
                      "the tunnel to the VPC, such as socks5://127.0.0.1:1080 or http://127.0.0.1:8888")
    for index, entry in enumerate(settings.get("entries") or []):
        if not isinstance(entry, dict):
            errors.append(f"platform_eks_access_entries[{index}]={entry!r}: must be a mapping")
            continue
        arn, role = entry.get("principal_arn"), entry.get("role_name")
        if (arn is None) == (role is None):
            errors.append(f"platform_eks_access_entries[{index}]: set either principal_arn or role_name")
        elif arn is not None and not PRINCIPAL.match(str(arn)):
            errors.append(f"platform_eks_access_entries[{index}].principal_arn={arn!r}: must be an IAM role or user "
                          "ARN (arn:aws:iam::<account>:role/<path/>name or :user/...)")
        elif role is not None and not ROLE_NAME.match(str(role)):
            errors.append(f"platform_eks_access_entries[{index}].role_name={role!r}: must be an IAM role name, "
                          "with its path if it has one (aws-reserved/sso.amazonaws.com/Name)")
    return errors


class FilterModule:
    def filters(self):
        return {"eks_access_errors": eks_access_errors}
