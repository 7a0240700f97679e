"""Integration tests run in parallel pytest-xdist workers (`make integration`: -n 2 --dist loadscope).

Each test module starts its own local platform on ports and in a state folder of its own (localplatform.py), so
two modules can run side by side. The unit of distribution is the platform: every test of one module, and every
test of the add-on package (one platform shared by its modules through a package fixture), goes to the same
worker, in collection order, because later tests build on what earlier ones did (the add-on package ends with its
lifecycle, rollback and destroy modules)."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pytest
from summary import table

HERE = Path(__file__).resolve().parent
SUMMARY_OWNED = pytest.StashKey[Path]()
RUN_COST_OWNED = pytest.StashKey[Path]()


def platform_group(path: Path) -> str:
    """The xdist group of a test file: its package below tests/integration when it has one, else its module."""
    rel = path.resolve().relative_to(HERE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def platform_scope(nodeid: str) -> str:
    """The scope of a test id, as platform_group gives it for the test's file."""
    return platform_group(HERE.parent.parent / nodeid.split("::", 1)[0])


@pytest.hookimpl(optionalhook=True)  # an xdist hook: `pytest -p no:xdist` must not fail on it
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """--dist loadscope, with the platform as the scope: xdist's own scopes are modules (the add-on package's
    modules would start its platform twice), and its loadgroup marks do not reach pytest 9's test ids."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class PlatformScheduling(LoadScopeScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return platform_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            # Longest platforms first (xdist orders scopes by their number of tests): a long one started last runs
            # alone while the other worker has nothing left to do.
            if not self.ordered:
                queue = sorted(self.workqueue.items(), key=lambda item: scope_rank(item[0]))
                self.workqueue.clear()
                self.workqueue.update(queue)
                self.ordered = True
            super()._assign_work_unit(node)

    return PlatformScheduling(config, log)


# The platforms that take longest, longest first (minutes of one worker in a clean run); the rest follow in
# xdist's order. Only the order of starting depends on it: a stale list makes a run slower, never wrong.
LONGEST_FIRST = ["addons", "test_site_check_mode", "test_aws_production", "test_reliability",
                 "test_aws_batched_reads", "test_simulate", "test_upgrade_and_failover", "test_aws_endpoints",
                 "test_cluster_access", "test_baseline", "test_bad_input"]


def scope_rank(scope: str) -> int:
    return LONGEST_FIRST.index(scope) if scope in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_configure(config: pytest.Config) -> None:
    # The controlling process (or a run without xdist) names the summary and run cost files; xdist workers inherit
    # them, and so do the playbook runs (tests/callback_plugins/run_cost.py).
    for variable, key, prefix in (("TRIPTRIP_SUMMARY_FILE", SUMMARY_OWNED, "triptrip-summary-"),
                                  ("TRIPTRIP_RUN_COST_FILE", RUN_COST_OWNED, "triptrip-run-cost-")):
        if not hasattr(config, "workerinput") and variable not in os.environ:
            handle, path = tempfile.mkstemp(prefix=prefix, suffix=".jsonl")
            os.close(handle)
            os.environ[variable] = path
            config.stash[key] = Path(path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # pylint: disable=unused-argument
    """Each test's time span on its worker (setup, call and teardown), to find the test of each playbook run."""
    start = time.time()
    yield
    path = os.environ.get("TRIPTRIP_RUN_COST_FILE")
    if path:
        row = {"kind": "test", "worker": os.environ.get("PYTEST_XDIST_WORKER", ""), "start": start,
               "end": time.time(), "scope": platform_scope(item.nodeid)}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")


def run_cost_table(path: Path) -> list[str]:
    """The playbook runs' wall and CPU seconds by platform (module or package), most CPU first, and in all."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    tests = [r for r in rows if r["kind"] == "test"]
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for run in (r for r in rows if r["kind"] == "run"):
        scope = next((t["scope"] for t in tests if t["worker"] == run["worker"] and t["start"] <= run["end"] <= t["end"]),
                     "(outside a test)")
        for total in (totals[scope], totals["all"]):
            total[0] += 1
            total[1] += run["wall"]
            total[2] += run["cpu"]
    lines = ["| platform | playbook runs | wall s | CPU s |", "|---|---|---|---|"]
    for scope, (runs, wall, cpu) in sorted(totals.items(), key=lambda item: -item[1][2]):
        lines.append(f"| {scope} | {runs} | {wall:.0f} | {cpu:.0f} |")
    return lines if totals else []


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    path = Path(os.environ.get("TRIPTRIP_SUMMARY_FILE", "/nonexistent"))
    lines = table(path)
    if lines:
        terminalreporter.section("reliability and security summary (issue #8)")
        for line in lines:
            terminalreporter.write_line(line)
    cost = Path(os.environ.get("TRIPTRIP_RUN_COST_FILE", "/nonexistent"))
    lines = run_cost_table(cost) if cost.exists() else []
    if lines:
        terminalreporter.section("what the playbook runs cost (tests/callback_plugins/run_cost.py)")
        for line in lines:
            terminalreporter.write_line(line)
    for key in (SUMMARY_OWNED, RUN_COST_OWNED):
        owned = config.stash.get(key, None)
        if owned is not None:
            owned.unlink(missing_ok=True)
