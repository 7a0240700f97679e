"""triptrip.platform.helm_release runs kubernetes.core.helm with the task's arguments, in the foreground or wrapped
as an async job (which kubernetes.core's own helm action refuses). tests/integration/addons install the add-ons
through it, side by side."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.triptrip.platform.plugins.action.helm_release import MODULE, ActionModule


def action(async_val):
    task = mock.MagicMock(async_val=async_val, args={"release_name": "keda", "release_namespace": "keda",
                                                     "chart_ref": "/charts/keda-2.20.2.tgz", "wait": True})
    task.check_mode = False
    connection = mock.MagicMock(has_native_async=False)
    connection._shell.tmpdir = "/tmp/ansible-tmp-1"
    plugin = ActionModule(task, connection, play_context=mock.MagicMock(check_mode=False), loader=None,
                          templar=None, shared_loader_obj=None)
    plugin._execute_module = mock.MagicMock(return_value={"changed": True, "command": "helm upgrade -i keda"})
    plugin._remove_tmp_path = mock.MagicMock()
    return plugin


@pytest.mark.parametrize("async_val", [0, 720])
def test_it_runs_kubernetes_core_helm_with_the_tasks_arguments(async_val):
    plugin = action(async_val)
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}):
        result = plugin.run(task_vars={"x": 1})
    call = plugin._execute_module.call_args.kwargs
    assert call["module_name"] == MODULE == "kubernetes.core.helm"
    assert call["module_args"] == plugin._task.args and call["module_args"] is not plugin._task.args
    assert call["wrap_async"] is bool(async_val)
    assert result == {"changed": True, "command": "helm upgrade -i keda"}
    # An async job still needs its files: the temporary folder is removed only after a foreground run.
    assert plugin._remove_tmp_path.called is (not async_val)


def test_it_declares_async_and_check_mode_support():
    assert ActionModule._supports_async is True and ActionModule._supports_check_mode is True
