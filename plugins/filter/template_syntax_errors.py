# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Input validation of what an operator types at launch (AWX survey answers, -e): data, never a template."""

from __future__ import annotations

import json

from ansible.parsing.dataloader import DataLoader
from ansible.utils.vars import load_extra_vars

DOCUMENTATION = r"""
---
name: template_syntax_errors
short_description: Refuse Jinja template syntax in the extra vars a playbook takes as input
version_added: 0.2.0
description:
  - Extra vars (C(-e), and the survey answers AWX passes as extra vars) are trusted as templates by ansible-core, so
    a value such as C({{ lookup('pipe', 'id') }}) is rendered, on the controller, wherever the play reads it. A
    survey answer is data (a name to confirm, a release to roll back), so this filter returns one sentence per named
    extra var whose value, as given, holds C({{), C({%) or C({#), naming the variable and the value.
  - The values are read as given on the command line (C(-e key=value), C(-e @file), C(-e) as YAML or JSON),
    before any templating, so checking them renders nothing. A name that was not given is not reported.
  - The check must run before anything reads the variables (a play's first task, in C(pre_tasks)), and must not
    read them itself.
positional: _input
options:
  _input:
    description: The names of the extra vars that are input (an AWX survey's variables).
    type: list
    elements: str
    required: true
  given:
    description:
      - The values to check, by name, instead of the command line's extra vars (for tests, or another source).
    type: dict
"""

EXAMPLES = r"""
- name: Refuse template syntax in the survey's answers
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ ['confirm_destroy'] | triptrip.platform.template_syntax_errors }}"
# ansible-playbook playbooks/destroy.yml -e "confirm_destroy={{ lookup('pipe', 'id') }}" gives
#   confirm_destroy="{{ lookup('pipe', 'id') }}": an input is data, not a template: ...
"""

RETURN = r"""
_value:
  description: One sentence per input holding template syntax; empty when there is none.
  type: list
  elements: str
"""

MARKERS = ("{{", "{%", "{#")


def _plain(value):
    """The value as plain Python data (untagged), so nothing downstream can take it for a trusted template."""
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return "".join(value)
    return value


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def given_extra_vars():
    """The command line's extra vars as given, before templating (ansible-core loads them once per run)."""
    return _plain(load_extra_vars(DataLoader()))


def template_syntax_errors(names, given=None):
    """One sentence per named input whose value, as given, holds Jinja template syntax."""
    values = _plain(given) if given is not None else given_extra_vars()
    errors = []
    for name in names or []:
        if name not in values:
            continue
        found = sorted({marker for text in _strings(values[name]) for marker in MARKERS if marker in text})
        if found:
            errors.append(f"{name}={json.dumps(values[name])}: an input is data, not a template, and this one holds "
                          f"{' and '.join(found)}; give the value itself (a name, a number), with no "
                          "Jinja syntax")
    return errors


class FilterModule:
    def filters(self):
        return {"template_syntax_errors": template_syntax_errors}
