# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Action for triptrip.platform.helm_release: kubernetes.core.helm, which may run as an async job.

kubernetes.core ships an action plugin for its helm module that does not declare async support, so `async:` on a
kubernetes.core.helm task fails ("This action (kubernetes.core.helm) does not support async"). This action runs
the same module, with the same arguments, the way ansible.builtin's generic action does: in the foreground, or
wrapped as an async job that async_status follows. That lets a play install independent releases side by side.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

MODULE = "kubernetes.core.helm"


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # unused since ansible-core 2.5
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(module_name=MODULE, module_args=dict(self._task.args),
                                                         task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
