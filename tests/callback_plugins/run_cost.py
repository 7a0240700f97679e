# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""What each ansible-playbook run of the test suites costs (wall and CPU seconds), for the CI time's work."""

from __future__ import annotations

import json
import os
import resource
import sys
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
---
name: run_cost
type: aggregate
short_description: Append each playbook run's wall and CPU seconds to a file, with the test that ran it
description:
  - Tests only (tests/conftest.py puts this folder on the callback path). When C(TRIPTRIP_RUN_COST_FILE) names a
    file, appends one JSON line per run at its end, with the xdist worker that started it (C(PYTEST_XDIST_WORKER)), the
    time it ended, the playbook, its wall seconds since the callback loaded and the CPU seconds of the process and
    its children. tests/integration/conftest.py finds the test by the worker and the time. Without the variable it
    does nothing.
"""

STARTED = time.monotonic()


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "run_cost"
    CALLBACK_NEEDS_ENABLED = False  # on the callback path only in tests, and silent without the variable

    def __init__(self):
        super().__init__()
        self._playbook = ""

    def v2_playbook_on_start(self, playbook):
        self._playbook = os.path.relpath(playbook._file_name)  # pylint: disable=protected-access

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("TRIPTRIP_RUN_COST_FILE")
        if not path:
            return
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        row = {"kind": "run", "worker": os.environ.get("PYTEST_XDIST_WORKER", ""), "end": time.time(),
               "playbook": self._playbook,
               "args": " ".join(a for a in sys.argv[2:] if not a.startswith("/"))[:120],
               "wall": round(time.monotonic() - STARTED, 1),
               "cpu": round(own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime, 1)}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")
