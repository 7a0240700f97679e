# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see galaxy.yml)
"""Callback for bench/bench.py: when each play of a run starts and when the run ends, as JSON lines."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_plays
type: aggregate
short_description: Write when each play starts and when the run ends (bench/bench.py)
description:
  - Appends one JSON line per play start (keys C(play), the play's name, and C(t), the time in epoch seconds) and
    one at the end of the run (C(play) null) to the file named by E(TRIPTRIP_BENCH_PLAYS), so that bench/bench.py can
    time the plays of one layer inside a whole C(site.yml) run.
  - Does nothing when E(TRIPTRIP_BENCH_PLAYS) is not set.
requirements:
  - enabled in callbacks_enabled (bench/bench.py sets E(ANSIBLE_CALLBACKS_ENABLED) and E(ANSIBLE_CALLBACK_PLUGINS))
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_plays"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._path = os.environ.get("TRIPTRIP_BENCH_PLAYS")

    def _write(self, play):
        if self._path:
            with open(self._path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"play": play, "t": time.time()}) + "\n")

    def v2_playbook_on_play_start(self, play):
        self._write(play.get_name())

    def v2_playbook_on_stats(self, stats):
        self._write(None)
