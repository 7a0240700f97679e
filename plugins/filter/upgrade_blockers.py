# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""What stops playbooks/upgrade.yml (and rollback.yml's control plane rollback): EKS insights in a blocking status the
run does not go past."""

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
  - For a control plane rollback, EKS blocks on rollback readiness insights in C(ERROR) or C(UNKNOWN)
    (U(https://docs.aws.amazon.com/eks/latest/userguide/rollback-cluster.html)); give I(statuses) and the
    I(variable) the sentences name.
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
  variable:
    description: The extra variable that carries the ids to go past, as the sentences name it.
    type: str
    default: upgrade_ignore_insights
  statuses:
    description: The insight statuses that block.
    type: list
    elements: str
    default: [ERROR]
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


def upgrade_blockers(insights, ignore=None, variable="upgrade_ignore_insights", statuses=("ERROR",)):
    ids = [str(i).strip() for i in (ignore.split(",") if isinstance(ignore, str) else ignore or [])]
    ids = [i for i in ids if i]
    wrong = [i for i in ids if not INSIGHT_ID.match(i)]
    if wrong:
        return [f"{variable}={','.join(ids)}: {', '.join(wrong)} is not an insight id as ListInsights gives "
                "it (a UUID); give the ids comma-separated"]
    blocking = [i for i in insights or [] if i.get("status") in statuses and i.get("id") not in ids]
    sentences = [f"{i.get('name')} (insight {i.get('id')}, for Kubernetes {i.get('kubernetes_version')}) is in "
                 f"{i.get('status')}: {i.get('reason', '').rstrip('.')}. Recommendation: "
                 f"{i.get('recommendation', '').rstrip('.')}."
                 for i in blocking]
    if sentences:
        sentences.append("Nothing was changed. Fix what it names, or, knowing why it does not apply, go past it with "
                         f"-e {variable}={','.join(i.get('id') for i in blocking)}")
    return sentences


class FilterModule:
    def filters(self):
        return {"upgrade_blockers": upgrade_blockers}
