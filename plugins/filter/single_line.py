# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""A value for one line of another program's text configuration, refused if it could start another line."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
---
name: single_line
short_description: A value for one line of a text configuration, refused if it holds a line break
version_added: 0.9.0
description:
  - Returns the value as a string when it holds no line break or other control character, and fails naming the
    value otherwise.
  - For the few templates that write a program's own line-based configuration (Fluent Bit's classic format inside
    its chart values), where a value cannot be serialised as JSON. A line break in such a value would add
    directives of its own (another output, say), and one with less indentation would end the YAML block the
    configuration sits in.
  - The other templates serialise every value with C(to_json) instead; tests/unit/test_templates_serialise.py holds
    each template to one of the two.
positional: _input
options:
  _input:
    description: The value (a string or a number).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: A Fluent Bit directive
  ansible.builtin.debug:
    msg: "Log_Level {{ addon_fluent_bit_log_level | triptrip.platform.single_line }}"
"""

RETURN = r"""
_value:
  description: The value as a string.
  type: str
"""

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def single_line(value) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise AnsibleFilterError(f"single_line: {value!r} is not a string or a number")
    text = str(value)
    found = _CONTROL.search(text)
    if found:
        raise AnsibleFilterError(f"single_line: {text!r} holds the control character {found.group()!r}; a value of "
                                 "a line-based configuration must stay on its line")
    return text


class FilterModule:
    def filters(self):
        return {"single_line": single_line}
