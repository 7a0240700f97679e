# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""A capacity report as an SVG bar chart."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.module_utils.capacity import capacity_svg

DOCUMENTATION = r"""
---
name: capacity_svg
short_description: Draw a capacity report as a standalone SVG bar chart
version_added: 0.2.0
description:
  - Takes the report of P(triptrip.platform.capacity_report#filter) and returns a standalone SVG document with
    one bar group per node group (an SVG C(g) element of class C(node-group)).
  - Each group has three bars, pods per node (the average, with a whisker from the least to the most loaded
    node, on the left axis) and requested CPU % and memory % of allocatable (on the right axis), each over its
    shaded target band. Axis labels, a legend and the title are included; text is escaped and the output is
    the same for the same report.
positional: _input, title
options:
  _input:
    description: The report of P(triptrip.platform.capacity_report#filter).
    type: dict
    required: true
  title:
    description: The chart's title; C(Capacity by node group) when empty.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Draw the capacity chart
  ansible.builtin.copy:
    content: "{{ __capacity | triptrip.platform.capacity_svg('Capacity at maximum node group sizes') }}"
    dest: "{{ playbook_dir }}/../reports/capacity.svg"
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The SVG document (XML with declaration), ending with a newline.
  type: str
"""


class FilterModule:
    def filters(self):
        return {"capacity_svg": capacity_svg}
