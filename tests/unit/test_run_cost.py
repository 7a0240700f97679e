"""The integration run's cost table (tests/integration/conftest.py, run_cost_table): each playbook run is counted
for the platform whose test ran on the same worker at the time the run ended, and only there."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest


@pytest.fixture(scope="module")
def conftest(root):
    sys.path.insert(0, str(root / "tests" / "integration"))
    try:
        spec = importlib.util.spec_from_file_location("integration_conftest", root / "tests/integration/conftest.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return module


def test_runs_go_to_the_test_of_their_worker_and_time(conftest, tmp_path):
    rows = [
        {"kind": "test", "worker": "gw0", "start": 100, "end": 200, "scope": "addons"},
        {"kind": "test", "worker": "gw1", "start": 100, "end": 300, "scope": "test_baseline"},
        {"kind": "run", "worker": "gw0", "end": 150, "playbook": "site.yml", "args": "", "wall": 40, "cpu": 60},
        {"kind": "run", "worker": "gw0", "end": 190, "playbook": "site.yml", "args": "", "wall": 10, "cpu": 12},
        # gw0 has no test at 250 (gw1 does): outside a test, not test_baseline's.
        {"kind": "run", "worker": "gw0", "end": 250, "playbook": "verify.yml", "args": "", "wall": 5, "cpu": 6},
        {"kind": "run", "worker": "gw1", "end": 250, "playbook": "cluster.yml", "args": "", "wall": 30, "cpu": 20},
    ]
    path = tmp_path / "cost.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert conftest.run_cost_table(path) == [
        "| platform | playbook runs | wall s | CPU s |", "|---|---|---|---|",
        "| all | 4 | 85 | 98 |", "| addons | 2 | 50 | 72 |", "| test_baseline | 1 | 30 | 20 |",
        "| (outside a test) | 1 | 5 | 6 |"]


def test_no_run_no_table(conftest, tmp_path):
    path = tmp_path / "cost.jsonl"
    path.write_text(json.dumps({"kind": "test", "worker": "gw0", "start": 1, "end": 2, "scope": "addons"}) + "\n")
    assert conftest.run_cost_table(path) == []
