"""triptrip.platform.settings_checked: the platform role skips its checks in a run's later plays only on this run's
token, which neither the inventory nor a fact cache of an earlier run can hold (issue #26: `__platform_checked: true`
in group_vars skipped the whole preflight). tests/integration/bad_inputs.py tries both with ansible-playbook."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.triptrip.platform.plugins.action import settings_checked
from ansible_collections.triptrip.platform.plugins.action.settings_checked import FACT, RUN_TOKEN, ActionModule


def run(args, task_vars):
    task = mock.MagicMock(args=args)
    plugin = ActionModule(task, mock.MagicMock(), play_context=mock.MagicMock(), loader=None, templar=None,
                          shared_loader_obj=None)
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}):
        return plugin.run(task_vars=task_vars)


def test_the_mark_sets_this_runs_token_as_a_fact():
    result = run({"mark": True}, {})
    assert result == {"changed": False, "checked": True, "ansible_facts": {FACT: RUN_TOKEN}}
    assert len(RUN_TOKEN) == 32


def test_the_facts_of_this_run_say_checked():
    assert run({}, {"ansible_facts": {FACT: RUN_TOKEN}})["checked"] is True


@pytest.mark.parametrize("task_vars", [
    {},                                                    # the first play: nothing marked yet
    {FACT: True},                                          # the inventory's own flag, the bypass of issue #26
    {FACT: RUN_TOKEN},                                     # even this run's token, when it is not a fact
    {"ansible_facts": {FACT: True}},
    {"ansible_facts": {FACT: "0" * 32}},                   # a fact cache kept from another run
], ids=["unmarked", "inventory-flag", "variable-not-fact", "fact-true", "other-run"])
def test_anything_but_this_runs_fact_says_unchecked(task_vars):
    assert run({}, task_vars)["checked"] is False


def test_a_mark_that_is_not_a_boolean_fails():
    result = run({"mark": "yes"}, {})
    assert result["failed"] is True and "mark='yes'" in result["msg"]


def test_a_new_run_makes_a_new_token():
    import importlib

    first = settings_checked.RUN_TOKEN
    try:
        assert importlib.reload(settings_checked).RUN_TOKEN != first
    finally:
        settings_checked.RUN_TOKEN = first
