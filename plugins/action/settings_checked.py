# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Action for triptrip.platform.settings_checked: whether this run has checked a host's settings, or mark that it has.

The mark is a token made when ansible-playbook loads this action (the strategy loads it in its own process, and every
task's worker is forked from that process, so they all see the same token). An inventory or a fact cache kept from an
earlier run cannot hold this run's token, so it cannot skip the checks by setting the mark itself (issue #26: a
boolean `__platform_checked: true` in group_vars skipped the whole preflight).
"""

from __future__ import annotations

import secrets

from ansible.plugins.action import ActionBase

RUN_TOKEN = secrets.token_hex(16)
FACT = "__platform_checked"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("mark",))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        mark = self._task.args.get("mark", False)
        if not isinstance(mark, bool):
            return {**result, "failed": True, "msg": f"mark={mark!r}: must be true or false"}
        if mark:
            # Returned as facts, not set with set_fact: the fact cache is the one place an inventory cannot write
            # (ansible_facts is rebuilt from it), and a cached token of another run never matches this one's.
            return {**result, "changed": False, "checked": True, "ansible_facts": {FACT: RUN_TOKEN}}
        facts = (task_vars or {}).get("ansible_facts") or {}
        return {**result, "changed": False, "checked": facts.get(FACT) == RUN_TOKEN}
