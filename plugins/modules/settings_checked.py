#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
# The work is done by the action plugin of the same name (plugins/action/settings_checked.py); this file holds the
# documentation.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: settings_checked
short_description: Tell whether this run has checked a host's settings, or mark that it has
version_added: 0.9.0
description:
  - The platform role checks and merges the settings in the first play of a run and skips that in the later plays.
    This action tells the later plays whether the checks ran, in a way the inventory cannot fake.
  - With I(mark=true) it sets the fact C(__platform_checked) to a token made when C(ansible-playbook) loaded the
    action (random, one per run). Without it, it returns C(checked=true) only when the host's facts hold this run's
    token.
  - A value set in the inventory or extra vars is not a fact, and a fact cache kept from an earlier run holds
    another run's token, so neither can skip the checks.
  - Runs on the controller; reads and sets nothing else. Check mode and diff change nothing (it never reports a
    change).
options:
  mark:
    description: Mark the host's settings as checked in this run (the last task of the checks).
    type: bool
    default: false
author:
  - TripTrip Platform Team (@triptrip)
"""

EXAMPLES = r"""
- name: Tell whether this run has checked the settings
  triptrip.platform.settings_checked:
  register: checked

- name: Check the settings
  ansible.builtin.include_tasks: settle.yml
  when: not checked.checked

- name: Remember that this run checked the settings
  triptrip.platform.settings_checked:
    mark: true
"""

RETURN = r"""
checked:
  description: Whether the host's settings were checked in this run (always true with I(mark=true)).
  returned: always
  type: bool
  sample: true
"""
