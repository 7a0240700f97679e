# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""A capacity report as Markdown."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.module_utils.capacity import capacity_markdown

DOCUMENTATION = r"""
---
name: capacity_markdown
short_description: Write a capacity report as Markdown
version_added: 0.2.0
description:
  - Takes the report of P(triptrip.platform.capacity_report#filter) and returns Markdown with three sections.
  - Per node group, the nodes, the pods, pods per node min / avg / max against the pods-per-node band, how many
    nodes are in that band, and requested CPU % and memory % of allocatable against theirs, each marked
    C(✓ within), C(✗ below) or C(✗ above).
  - The pending pods, counted by reason and scheduler predicates with up to 10 examples each, then up to 10
    pending pods with their owner.
  - The topology spread and pod anti-affinity results, with rule, hard or soft, held or broken and the counts.
positional: _input
options:
  _input:
    description: The report of P(triptrip.platform.capacity_report#filter).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the capacity report
  ansible.builtin.copy:
    content: "{{ __capacity | triptrip.platform.capacity_markdown }}"
    dest: "{{ playbook_dir }}/../reports/capacity.md"
    mode: "0644"
"""

RETURN = r"""
_value:
  description: Markdown, ending with a newline.
  type: str
"""


class FilterModule:
    def filters(self):
        return {"capacity_markdown": capacity_markdown}
