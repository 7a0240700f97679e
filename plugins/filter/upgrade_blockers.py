# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""What stops playbooks/upgrade.yml before any change: EKS upgrade insights in ERROR the run does not go past."""

from __future__ import annotations

import re

DOCUMENTATION = r"""
---
name: upgrade_blockers
short_description: The EKS upgrade insights in ERROR that stop an upgrade, one sentence each
version_added: 0.9.0
description:
  - Takes the insights C(triptrip.platform.eks_insights_info) returns and the ids to go past, and returns one sentence
    per insight in C(ERROR) that is not among them, naming it, its id and Kubernetes version, EKS's reason and
    recommendation, and how to go past it on purpose. An empty list lets the upgrade go on.
  - An id to go past that is not an insight id (a UUID) is refused, naming C(upgrade_ignore_insights) and the value.
  - Insights in C(WARNING) or C(UNKNOWN) never stop the upgrade; playbooks/upgrade.yml shows them.
positional: _input, ignore
options:
  _input:
    description: The insights (C(eks_insights_info)'s C(insights)).
    type: list
    elements: dict
    required: true
  ignore:
    description: Insight ids to go past, as a list or a comma-separated string (C(-e upgrade_ignore_insights=...)).
    type: raw
    default: []
"""

EXAMPLES = r"""
- name: Stop on an upgrade insight in ERROR
  ansible.builtin.assert:
    that: blockers | length == 0
    fail_msg: "{{ blockers | join(' ') }}"
  vars:
    blockers: "{{ insights.insights | triptrip.platform.upgrade_blockers(upgrade_ignore_insights) }}"
"""

RETURN = r"""
_value:
  description: One sentence per insight that stops the upgrade (or per malformed id to go past); empty to go on.
  type: list
  elements: str
"""

INSIGHT_ID = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


def upgrade_blockers(insights, ignore=None):
    ids = [str(i).strip() for i in (ignore.split(",") if isinstance(ignore, str) else ignore or [])]
    ids = [i for i in ids if i]
    wrong = [i for i in ids if not INSIGHT_ID.match(i)]
    if wrong:
        return [f"upgrade_ignore_insights={','.join(ids)}: {', '.join(wrong)} is not an insight id as ListInsights gives "
                "it (a UUID); give the ids comma-separated"]
    blocking = [i for i in insights or [] if i.get("status") == "ERROR" and i.get("id") not in ids]
    sentences = [f"{i.get('name')} (insight {i.get('id')}, for Kubernetes {i.get('kubernetes_version')}) is in ERROR: "
                 f"{i.get('reason', '').rstrip('.')}. Recommendation: {i.get('recommendation', '').rstrip('.')}."
                 for i in blocking]
    if sentences:
        sentences.append("Nothing was changed. Fix what it names, or, knowing why it does not apply, go past it with "
                         f"-e upgrade_ignore_insights={','.join(i.get('id') for i in blocking)}")
    return sentences


class FilterModule:
    def filters(self):
        return {"upgrade_blockers": upgrade_blockers}
