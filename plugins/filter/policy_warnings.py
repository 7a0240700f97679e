# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""What an environment should plan for before it becomes a breach: the EKS support calendar."""

from __future__ import annotations

import datetime

DOCUMENTATION = r"""
---
name: policy_warnings
short_description: List what an environment should plan for, such as the end of its EKS minor's standard support
version_added: 0.9.0
description:
  - Takes the settings by variable name and returns one sentence per warning; the preflight prints them and goes on.
  - Warns from I(days) days before the standard support of C(platform_eks_version) ends (the date in
    C(platform_eks_standard_support_end)), and after it has ended, saying what EKS does then under the cluster's
    C(platform_eks_support_type) (C(STANDARD) upgrades the control plane itself, C(EXTENDED) bills extended support).
  - An environment that serves traffic is refused once the date has passed (C(policy_errors)); this is the notice
    before that.
positional: _input, today, days
options:
  _input:
    description: The settings (C(platform_eks_version), C(platform_eks_standard_support_end), C(platform_eks_support_type)).
    type: dict
    required: true
  today:
    description: The date to count from, as C(YYYY-MM-DD); empty for today in UTC.
    type: str
    default: ""
  days:
    description: How many days before the end of standard support to start warning.
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: Warn of the EKS support calendar
  ansible.builtin.debug:
    msg: "{{ warnings }}"
  vars:
    warnings: "{{ {'platform_eks_version': platform_eks_version,
      'platform_eks_standard_support_end': platform_eks_standard_support_end,
      'platform_eks_support_type': platform_eks_support_type} | triptrip.platform.policy_warnings }}"
  when: warnings | length > 0
"""

RETURN = r"""
_value:
  description: One sentence per warning; empty when there is nothing to plan for yet.
  type: list
  elements: str
"""

WHAT_EKS_DOES = {
    "STANDARD": "EKS then upgrades the control plane to the next minor itself (support type STANDARD)",
    "EXTENDED": "the cluster then runs on extended support, billed at the extended price (support type EXTENDED)",
    "": "what EKS does then follows the cluster's support type (EKS's default, EXTENDED, bills extended support)",
}


def policy_warnings(settings, today="", days=60):
    s = settings or {}
    version = s.get("platform_eks_version")
    end = (s.get("platform_eks_standard_support_end") or {}).get(version)
    if not end:
        return []  # an unknown minor is policy_errors' to refuse
    day = datetime.date.fromisoformat(today) if today else datetime.datetime.now(datetime.timezone.utc).date()
    left = (datetime.date.fromisoformat(str(end)) - day).days
    if left > days:
        return []
    then = WHAT_EKS_DOES.get(s.get("platform_eks_support_type") or "", WHAT_EKS_DOES[""])
    when = f"ends in {left} days, on {end}" if left >= 0 else f"ended {-left} days ago, on {end}"
    plan = "before that date" if left >= 0 else "now"
    return [f"platform_eks_version={version}: EKS standard support of this minor {when}; {then}. Upgrade one minor "
            f"at a time with playbooks/upgrade.yml {plan}"]


class FilterModule:
    def filters(self):
        return {"policy_warnings": policy_warnings}
